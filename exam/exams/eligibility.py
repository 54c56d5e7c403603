"""Who an exam is for, in Python for one account and in SQL for everybody at once.

An account may sit an exam when it is an enabled candidate account whose person holds a post
at an enterprise now, and the exam's rules (``exam.eligibility``, see ``exam.people.rules``)
name that person. ``is_eligible`` answers it for one account (the candidate's pages, starting
an attempt); ``eligible_clause`` is the same rule as a SQL condition, so that the reports and
the makeup and admission lists ask the database once rather than each account in turn. The
test ``tests/test_rules_twins.py`` runs both over one table of cases.

Who an exam **expects** (应考) is a different question, asked of an exam's window rather than of
today: the people the exam's rules name as they were when it opened. Precisely, a person is
expected by an exam when

- they have an enabled candidate account, and were registered (``Person.created_at``) no later
  than the exam closed;
- where they were on the day the exam opened (Beijing time) -- the stint of their employment
  history covering that day, or, without a history or a stint covering it, their current post
  and enterprise (``placed_on``) -- is a post at an enterprise, and the exam's rules name the
  person placed there (their post then, that enterprise's sectors and town).

So someone who left before the exam opened is not expected; someone who left during or after
the window still is, where they were; someone who moved is judged and counted where they were
when the exam opened; someone registered while it was open is expected. The rule reads only
dated facts, so it gives the same answer whenever it is asked: the roster taken when the exam
closes (``exam.reports.kept.candidacy``), the makeup list (``exam.exams.standing.at_exam``),
the tracker and every rate use it. ``is_expected`` is the rule for one person, ``expected_rows``
its SQL twin for everybody at once; ``tests/test_rules_twins.py`` compares them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Date, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased, selectinload

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.core.timeutil import display_zone
from exam.exams.models import Exam
from exam.people.models import Employment, Enterprise, Person
from exam.people.rules import matches, matches_clause


def is_eligible(exam: Exam, user: User) -> bool:
    """Whether the account is among those the exam is for (``eligible_clause`` in SQL)."""
    account = user.role == UserRole.CANDIDATE and not user.disabled
    return account and person_is_eligible(exam, user.person)


def person_is_eligible(exam: Exam, person: Person | None) -> bool:
    """Whether the person (whatever their account) is among those the exam is for: in post at
    an enterprise now, and named by the exam's rules."""
    in_post = person is not None and person.enterprise is not None
    return in_post and matches(exam.eligibility, person)


def eligible_clause(
    rules: dict | None, person=Person, enterprise=Enterprise, user=User
) -> ColumnElement[bool]:
    """The SQL twin of ``is_eligible`` for an exam's ``rules``: a condition over a row holding
    the account, its person and their current enterprise (outer-joined: an account without a
    person, or a person without an enterprise, is nobody's candidate)."""
    account = and_(
        user.id.is_not(None),
        user.role == UserRole.CANDIDATE,
        user.disabled.is_(False),
        person.enterprise_id.is_not(None),
    )
    return and_(account, matches_clause(rules, person, enterprise))


def _candidates(what, rules: dict | None) -> Select:
    """``what`` selected over the accounts ``rules`` are for (``eligible_clause``)."""
    return (
        select(what)
        .select_from(User)
        .join(Person, Person.id == User.person_id)
        .outerjoin(Enterprise, Enterprise.id == Person.enterprise_id)
        .where(eligible_clause(rules))
    )


def candidate_count(exam: Exam) -> int:
    """How many accounts the exam is for now (``candidates_of``, counted in the database)."""
    return db.session.scalar(_candidates(func.count(User.id), exam.eligibility)) or 0


def candidates_of(exam: Exam) -> list[User]:
    """Every account the exam is for, by person (``eligible_clause``: one query)."""
    return list(
        db.session.scalars(
            _candidates(User, exam.eligibility)
            .options(
                selectinload(User.person)
                .selectinload(Person.enterprise)
                .options(selectinload(Enterprise.sectors), selectinload(Enterprise.town))
            )
            .order_by(Person.id)
        )
    )


# --- who an exam expects ---------------------------------------------------------------------


def opening_day(opens_at: datetime) -> date:
    """The day (Beijing time) an exam opened: where people are placed."""
    return opens_at.astimezone(display_zone()).date()


def placed_on(person: Person, day: date) -> tuple[Enterprise | None, str]:
    """(enterprise, post) of the person on ``day`` (``placed_clause`` in SQL): for people with a
    history (an ended stint), the stint covering that day, the latest if stints overlap;
    otherwise, or without such a stint, where they are now (None: nowhere)."""
    if any(stint.ended_on is not None for stint in person.employments):
        covering = [
            stint
            for stint in person.employments
            if (stint.started_on is None or stint.started_on <= day)
            and (stint.ended_on is None or stint.ended_on > day)
        ]
        if covering:
            stint = max(covering, key=lambda s: s.id)
            return stint.enterprise, stint.role
    return person.enterprise, person.role


def placed_clause(person_id, day, now_enterprise, now_role):
    """The SQL twin of ``placed_on``: (enterprise id, post) expressions of the person
    ``person_id`` on ``day`` (an expression), given their current enterprise id and post."""
    history = aliased(Employment)
    moved = exists(
        select(history.id).where(history.person_id == person_id, history.ended_on.is_not(None))
    )
    stint = aliased(Employment)

    def then(column):
        found = (
            select(column)
            .where(
                stint.person_id == person_id,
                or_(stint.started_on.is_(None), stint.started_on <= day),
                or_(stint.ended_on.is_(None), stint.ended_on > day),
            )
            .order_by(stint.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        return case((moved, found), else_=None)

    return func.coalesce(then(stint.enterprise_id), now_enterprise), func.coalesce(
        then(stint.role), now_role
    )


@dataclass(frozen=True)
class _Placed:
    """A person as they were on a day, as ``matches`` reads them."""

    id: int
    role: str
    enterprise: Enterprise | None


def is_expected(
    rules: dict | None, opens_at: datetime, closes_at: datetime, user: User | None
) -> bool:
    """Whether an exam with these ``rules`` and window expects the account's person
    (``expected_rows`` in SQL; the rule is in the module's docstring)."""
    if user is None or user.role != UserRole.CANDIDATE or user.disabled:
        return False
    person = user.person
    if person is None or person.created_at > closes_at:
        return False
    enterprise, role = placed_on(person, opening_day(opens_at))
    return enterprise is not None and matches(rules, _Placed(person.id, role, enterprise))


def expected_rows(rules: dict | None, opens_at: datetime, closes_at: datetime) -> Select:
    """The SQL twin of ``is_expected``: one row per person the exam expects, with columns
    ``person_id``, ``user_id``, and ``enterprise_id`` and ``role`` where they were placed."""
    day = literal(opening_day(opens_at), Date)
    enterprise_id, role = placed_clause(Person.id, day, Person.enterprise_id, Person.role)
    placed = (
        select(
            Person.id.label("id"),
            User.id.label("user_id"),
            enterprise_id.label("enterprise_id"),
            role.label("role"),
        )
        .select_from(User)
        .join(Person, Person.id == User.person_id)
        .where(
            User.role == UserRole.CANDIDATE,
            User.disabled.is_(False),
            Person.created_at <= closes_at,
        )
        .subquery("placed")
    )
    enterprise = aliased(Enterprise)
    return (
        select(
            placed.c.id.label("person_id"),
            placed.c.user_id,
            placed.c.enterprise_id,
            placed.c.role,
        )
        .select_from(placed)
        .outerjoin(enterprise, enterprise.id == placed.c.enterprise_id)
        .where(placed.c.enterprise_id.is_not(None), matches_clause(rules, placed.c, enterprise))
    )


def expected_of(exam: Exam) -> list[User]:
    """Every account the exam expects (``expected_rows``: one query), by person."""
    rows = expected_rows(exam.eligibility, exam.opens_at, exam.closes_at).subquery()
    return list(
        db.session.scalars(
            select(User)
            .join(rows, rows.c.user_id == User.id)
            .options(selectinload(User.person))
            .order_by(rows.c.person_id)
        )
    )
