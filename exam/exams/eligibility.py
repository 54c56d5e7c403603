"""Who an exam is for, in Python for one account and in SQL for everybody at once.

An account may sit an exam when it is an enabled candidate account whose person holds a post
at an enterprise now, and the exam's rules (``exam.eligibility``, see ``exam.people.rules``)
name that person. ``is_eligible`` answers it for one account (the candidate's pages, starting
an attempt); ``eligible_clause`` is the same rule as a SQL condition, so that the reports and
the makeup and admission lists ask the database once rather than each account in turn. The
test ``tests/test_rules_twins.py`` runs both over one table of cases.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import selectinload

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.exams.models import Exam
from exam.people.models import Enterprise, Person
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


def candidates_of(exam: Exam) -> list[User]:
    """Every account the exam is for, by person (``eligible_clause``: one query)."""
    return list(
        db.session.scalars(
            select(User)
            .join(Person, Person.id == User.person_id)
            .outerjoin(Enterprise, Enterprise.id == Person.enterprise_id)
            .options(
                selectinload(User.person)
                .selectinload(Person.enterprise)
                .options(selectinload(Enterprise.sectors), selectinload(Enterprise.town))
            )
            .where(eligible_clause(exam.eligibility))
            .order_by(Person.id)
        )
    )
