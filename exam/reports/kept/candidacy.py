"""Keeping ``Candidacy`` (``exam.reports.kept.models``) in step with what it sums up.

A candidacy is one person at one original exam together with its makeup. Its row holds where
the person was on the day the exam opened and what their attempts add up to:

- **Attempts**: whenever an attempt is started, graded, cancelled, reopened or deleted, the
  rows of its (original exam, account) are worked out again from all their attempts, in the
  same transaction (``exams.signals.attempts_changed``, sent once the change is flushed; the
  reports blueprint connects the receivers below). On PostgreSQL a transaction
  lock per (exam, account) comes first, so two transactions changing two attempts of one
  person (an exam and its makeup, say) cannot each write a sum that misses the other.
- **People**: a change of a person's post or enterprise, or of their employment history,
  places their candidacies again (the stint covering each exam's day; as now without one):
  ``people.signals.people_moved``.
- **Exams**: a change of an exam's dates, eligibility, publication or makeup link builds its
  original exam's rows again from the attempts, and drops its roster:
  ``exams.signals.exam_changed``.
- **Rosters**: the people a closed exam was for but who never came are its no-shows. They are
  added once the exam has closed (``take_rosters``: the scheduler does it every few minutes,
  ``anpei demo`` when it builds the demo; a report meeting a closed exam still without one
  reads it as it will be taken, ``roster_rows``, and writes nothing), from the eligibility
  rules and the register as they are then: who an exam was for is fixed when it closes.

Everything here is set-based SQL: the receivers cost two statements per change of attempts
(none for the answers saved during an exam), and ``rebuild`` fills the table for a province's
500,000 attempts in one statement.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER
from sqlalchemy.orm import Session, aliased

from exam.auth.models import User
from exam.core.extensions import db, upsert
from exam.exams.eligibility import expected_rows, placed_clause
from exam.exams.models import Attempt, Exam
from exam.people.models import Person
from exam.reports.kept.models import Candidacy, LastResult, Roster
from exam.reports.sql.dates import local_date

COUNTS = ("started", "sat_first", "passed_first", "sat_final", "passed_final", "cancelled")
COLUMNS = ("exam_id", "person_id", "user_id", "enterprise_id", "role", "listed", *COUNTS)
#: Exam -1 with an exam's id: the advisory lock of that exam's roster (PostgreSQL).
ROSTER_LOCK = -1


# --- transaction locks --------------------------------------------------------------------


def lock(session: Session, key: int, ids: Iterable[int], *, shared: bool = False) -> None:
    """PostgreSQL transaction locks (``key``, id) for each of ``ids``, taken in the order of
    the ids (every transaction takes a kind of lock in one order); none on SQLite, which runs
    one writer at a time. Keys: an exam's id with an account (``refresh``), 0 with an account
    (its latest result), ``ROSTER_LOCK`` with an exam, ``hourskept.LOCK`` with a person."""
    ids = sorted(set(ids))
    if not ids or session.get_bind().dialect.name != "postgresql":
        return
    statement = SHARED_LOCKS if shared else LOCKS
    session.execute(
        statement.bindparams(bindparam("ids", type_=ARRAY(INTEGER))), {"key": key, "ids": ids}
    )


LOCKS = text("SELECT pg_advisory_xact_lock(:key, i) FROM unnest(:ids) AS i ORDER BY i")
SHARED_LOCKS = text(
    "SELECT pg_advisory_xact_lock_shared(:key, i) FROM unnest(:ids) AS i ORDER BY i"
)

#: ``refresh``'s locks: each exam's roster lock shared, then (exam, account) and (0, account)
#: exclusive, in the order of (kind, key, id).
REFRESH_LOCKS = text(
    "SELECT CASE WHEN s THEN pg_advisory_xact_lock_shared(k, i)::text "
    "ELSE pg_advisory_xact_lock(k, i)::text END "
    "FROM (SELECT true AS s, :roster AS k, r AS i FROM unnest(:roots) AS r "
    "UNION ALL SELECT false, r, u FROM unnest(array_prepend(0, :roots)) AS r, unnest(:users) AS u"
    ") AS l ORDER BY s DESC, k, i"
).bindparams(
    bindparam("roster", type_=INTEGER),
    bindparam("roots", type_=ARRAY(INTEGER)),
    bindparam("users", type_=ARRAY(INTEGER)),
)

# --- rows from the attempts ------------------------------------------------------------------


def _from_attempts(condition):
    """One row per (original exam, account) of the attempts meeting ``condition``, as the
    columns of ``COLUMNS``."""
    root = func.coalesce(Exam.makeup_of_id, Exam.id)
    counted, passed = Attempt.counts, Attempt.counts_as_pass
    first = Exam.makeup_of_id.is_(None)

    def flag(condition):
        return func.max(case((condition, 1), else_=0))

    grouped = (
        select(
            root.label("exam_id"),
            Attempt.user_id.label("user_id"),
            flag(and_(counted, first)).label("sat_first"),
            flag(and_(passed, first)).label("passed_first"),
            flag(counted).label("sat_final"),
            flag(passed).label("passed_final"),
            func.sum(case((Attempt.cancelled_at.is_not(None), 1), else_=0)).label("cancelled"),
        )
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(condition)
        .group_by(root, Attempt.user_id)
        .subquery("grouped")
    )
    g, opened = grouped.c, aliased(Exam)
    enterprise_id, role = placed_clause(
        Person.id, local_date(opened.opens_at), Person.enterprise_id, Person.role
    )
    return (
        select(
            g.exam_id,
            Person.id,
            g.user_id,
            enterprise_id,
            role,
            literal(0),
            literal(1),
            g.sat_first,
            g.passed_first,
            g.sat_final,
            g.passed_final,
            g.cancelled,
        )
        .select_from(grouped)
        .join(User, User.id == g.user_id)
        .join(Person, Person.id == User.person_id)
        .join(opened, opened.id == g.exam_id)
        .where(true())
    )  # SQLite's upsert after a SELECT with a join needs a WHERE


def _storing(dialect: str, rows):
    """The statement inserting ``rows`` (of ``_from_attempts``), or updating what the attempts
    decide."""
    insert = upsert(dialect)(Candidacy).from_select(list(COLUMNS), rows)
    keep = ("exam_id", "person_id", "listed")
    return insert.on_conflict_do_update(
        index_elements=["exam_id", "person_id"],
        set_={name: getattr(insert.excluded, name) for name in COLUMNS if name not in keep},
    )


def _store(session: Session, rows) -> None:
    session.execute(_storing(session.get_bind().dialect.name, rows))


@functools.cache
def _refreshing(dialect: str):
    """The statements of ``refresh`` (built once: they run at every submission), with the
    expanding parameters ``roots`` and ``users``."""
    roots, users = bindparam("roots", expanding=True), bindparam("users", expanding=True)
    candidacies = _storing(dialect, _from_attempts(_attempts_at(roots, users)))
    last = _last_results(dialect, users)
    gone = _stale_results(users)
    c = Candidacy
    none_left = ~exists(
        select(Attempt.id)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(
            Attempt.user_id == c.user_id, or_(Exam.id == c.exam_id, Exam.makeup_of_id == c.exam_id)
        )
    )
    mine = and_(c.exam_id.in_(roots), c.user_id.in_(users))
    emptied = update(c).where(mine, none_left).values(**dict.fromkeys(COUNTS, 0))
    dropped = delete(c).where(mine, c.started == 0, c.listed == 0)
    return candidacies, last, gone, emptied, dropped


def _attempts_at(roots, users):
    """Attempts of the accounts ``users`` at the exams ``roots`` or their makeups."""
    return and_(Attempt.user_id.in_(users), or_(Exam.id.in_(roots), Exam.makeup_of_id.in_(roots)))


def refresh(
    roots: Iterable[int],
    users: Iterable[int],
    *,
    removed: bool = False,
    lost: bool = True,
    session: Session | None = None,
) -> None:
    """Work the candidacies of ``users`` at the exams ``roots`` and their latest results out
    again from their attempts (``removed``: some attempts were deleted, so some may have none
    left; ``lost``: some scores may no longer count)."""
    session = session or db.session()
    roots, users = sorted(set(roots)), sorted(set(users))
    if not roots or not users:
        return
    # Transaction locks, in a fixed order: each exam's roster lock shared (a roster being taken
    # waits for this transaction, or this for it: see ``take_rosters``), then one per (exam,
    # account) and one per account (exam 0) for its latest result. The sums below are read
    # after they are held.
    # One statement: the locks are taken in its sort order (the function runs above the sort).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(REFRESH_LOCKS, {"roster": ROSTER_LOCK, "roots": roots, "users": users})
    candidacies, last, gone, emptied, dropped = _refreshing(session.get_bind().dialect.name)
    values, connection = (
        {"roots": roots, "users": users},
        session.connection(),
    )  # Core: no ORM bulk insert
    connection.execute(candidacies, values)
    connection.execute(last, values)
    if lost or removed:
        connection.execute(gone, values)
    if removed:
        connection.execute(emptied, values)
        connection.execute(dropped, values)


def place(person_ids: Iterable[int], session: Session | None = None) -> None:
    """Place the candidacies of these people again (their post, enterprise or history changed)."""
    session = session or db.session()
    person_ids = sorted(set(person_ids))
    if not person_ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        # Their accounts' locks (``refresh`` takes them): a submission at the same moment
        # either sees the move or is placed again by it, never overwrites it.
        session.execute(
            select(func.pg_advisory_xact_lock(0, User.id))
            .where(User.person_id.in_(person_ids))
            .order_by(User.id)
        )
    _place(session, Candidacy.person_id.in_(person_ids))


def _place(session: Session, condition) -> None:
    c = Candidacy
    day = (
        select(local_date(Exam.opens_at)).where(Exam.id == c.exam_id).correlate(c).scalar_subquery()
    )
    now_enterprise = (
        select(Person.enterprise_id).where(Person.id == c.person_id).correlate(c).scalar_subquery()
    )
    now_role = select(Person.role).where(Person.id == c.person_id).correlate(c).scalar_subquery()
    enterprise_id, role = placed_clause(c.person_id, day, now_enterprise, now_role)
    session.execute(
        update(c)
        .where(condition)
        .values(enterprise_id=enterprise_id, role=role)
        .execution_options(synchronize_session=False)
    )


def rebuild(roots: Iterable[int] | None = None, session: Session | None = None) -> None:
    """Build the rows of the original exams ``roots`` (all, if None) again from the attempts;
    their rosters are dropped, to be taken again when the exams have closed."""
    session = session or db.session()
    if roots is not None:
        roots = sorted(set(roots))
        if not roots:
            return
    where_roots = (
        (lambda column: column.in_(roots)) if roots is not None else (lambda column: true())
    )
    session.execute(delete(Candidacy).where(where_roots(Candidacy.exam_id)))
    session.execute(delete(Roster).where(where_roots(Roster.exam_id)))
    condition = (
        or_(Exam.id.in_(roots), Exam.makeup_of_id.in_(roots)) if roots is not None else true()
    )
    _store(session, _from_attempts(condition))
    # The accounts whose latest result may have been at one of these exams (all, if None).
    _store_last_results(
        session,
        None
        if roots is None
        else select(Attempt.user_id)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(condition)
        .correlate(None),
    )


def _last_results(dialect: str, users=None):
    """The statement storing each account's latest score that counts (on ties, a pass before a
    failed makeup before a failed exam), for ``users`` (a parameter, or a SELECT of ids;
    None: everybody)."""
    rank = func.row_number().over(
        partition_by=Attempt.user_id,
        order_by=(
            Attempt.submitted_at.desc(),
            case((Attempt.passed.is_(True), 1), else_=0).desc(),
            case((Exam.makeup_of_id.is_not(None), 1), else_=0).desc(),
            Attempt.id.desc(),
        ),
    )
    ranked = (
        select(
            Attempt.user_id,
            Attempt.id.label("attempt_id"),
            Attempt.exam_id,
            Attempt.submitted_at,
            Attempt.passed,
            rank.label("rank"),
        )
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(Attempt.counts, Attempt.user_id.in_(users) if users is not None else true())
        .subquery("ranked")
    )
    r = ranked.c
    names = ["user_id", "attempt_id", "exam_id", "submitted_at", "passed"]
    insert = upsert(dialect)(LastResult).from_select(
        names,
        select(
            r.user_id, r.attempt_id, r.exam_id, r.submitted_at, func.coalesce(r.passed, False)
        ).where(r.rank == 1),
    )
    return insert.on_conflict_do_update(
        index_elements=["user_id"],
        set_={name: getattr(insert.excluded, name) for name in names[1:]},
    )


def _stale_results(users=None):
    """The statement deleting the latest results of ``users`` with no score that counts any
    more (an attempt cancelled, reopened or deleted)."""
    stale = delete(LastResult).where(
        ~exists(select(Attempt.id).where(Attempt.user_id == LastResult.user_id, Attempt.counts))
    )
    return stale.where(LastResult.user_id.in_(users)) if users is not None else stale


def _store_last_results(session: Session, users=None) -> None:
    """Each account's latest score that counts, for ``users`` (a SELECT of ids; None: all)."""
    session.execute(_last_results(session.get_bind().dialect.name, users))
    session.execute(_stale_results(users))


# --- rosters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    id: int
    eligibility: dict
    opens_at: datetime
    closes_at: datetime


def _due(session: Session, now: datetime) -> list[_Due]:
    return [
        _Due(*row)
        for row in session.execute(
            select(Exam.id, Exam.eligibility, Exam.opens_at, Exam.closes_at)
            .where(
                Exam.makeup_of_id.is_(None),
                Exam.is_published,
                Exam.has_closed(now),
                ~exists(select(Roster.exam_id).where(Roster.exam_id == Exam.id)),
            )
            .order_by(Exam.id)
        )
    ]


def roster_rows(exam_id: int, eligibility: dict, opens_at: datetime, closes_at: datetime):
    """The roster of an original exam as the columns of ``COLUMNS``: the people it expects
    (``exam.exams.eligibility.expected_rows``: registered by its close, in an eligible post on
    the day it opened), listed, with no attempt counted, each placed where they were then."""
    expected = expected_rows(eligibility, opens_at, closes_at).subquery("expected")
    e = expected.c
    return select(
        literal(exam_id).label("exam_id"),
        e.person_id,
        e.user_id,
        e.enterprise_id,
        e.role,
        literal(1).label("listed"),
        *(literal(0).label(name) for name in COUNTS),
    )


def take_rosters(now: datetime, session: Session | None = None) -> int:
    """Add the no-shows of every published original exam that has closed by ``now`` and has
    no roster yet: the people it expects (``roster_rows``) with no attempt there or at its
    makeup. Returns how many exams (the caller commits); one statement when there
    are none. On PostgreSQL each exam's roster lock is taken first, in the order of the
    exams: a transaction still writing attempts of that exam (which holds it shared) is
    waited for, so the two never wait on each other's rows."""
    session = session or db.session()
    due = _due(session, now)
    if not due:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        lock(session, ROSTER_LOCK, [exam.id for exam in due])
        due = _due(session, now)  # another transaction may have taken some meanwhile
        if not due:
            return 0
    dialect = session.get_bind().dialect.name
    parts = [roster_rows(exam.id, exam.eligibility, exam.opens_at, exam.closes_at) for exam in due]
    rows = union_all(*parts) if len(parts) > 1 else parts[0]
    insert = upsert(dialect)(Candidacy).from_select(
        list(COLUMNS), select(rows.subquery()).where(true())
    )
    session.execute(
        insert.on_conflict_do_update(index_elements=["exam_id", "person_id"], set_={"listed": 1})
    )
    marks = upsert(dialect)(Roster).values([{"exam_id": exam.id, "taken_at": now} for exam in due])
    session.execute(marks.on_conflict_do_nothing(index_elements=["exam_id"]))
    return len(due)


def drop_rosters(roots: Iterable[int], session: Session | None = None) -> None:
    """Forget the rosters of these original exams (who they were for changed): their no-shows
    go, the others are no longer marked listed; taken again once the exams have closed."""
    session = session or db.session()
    roots = sorted(set(roots))
    if not roots:
        return
    lock(session, ROSTER_LOCK, roots)
    c = Candidacy
    session.execute(delete(c).where(c.exam_id.in_(roots), c.started == 0))
    session.execute(update(c).where(c.exam_id.in_(roots), c.listed == 1).values(listed=0))
    session.execute(delete(Roster).where(Roster.exam_id.in_(roots)))


def place_exams(roots: Iterable[int], session: Session | None = None) -> None:
    """Place the candidacies of these original exams again (the day they opened changed)."""
    session = session or db.session()
    roots = sorted(set(roots))
    if roots:
        _place(session, Candidacy.exam_id.in_(roots))


def take_rosters_now() -> int:
    """The scheduler's job: ``take_rosters`` at the present time."""
    from exam.core.timeutil import utcnow

    return take_rosters(utcnow())


# --- the receivers ---------------------------------------------------------------------------
# Connected by the reports blueprint to the signals of the features that own the data; each runs
# inside the sender's unit of work, after the change has been flushed.


def on_attempts_changed(
    _sender=None, *, roots=(), users=(), removed: bool = False, lost: bool = False, **_extra
) -> None:
    """``exams.signals.attempts_changed``: the candidacies and latest results of these
    accounts at these original exams, worked out again."""
    refresh(roots, users, removed=removed, lost=lost)


def on_exam_changed(
    _sender=None, *, relinked=(), reruled=(), moved=(), deleted=(), **_extra
) -> None:
    """``exams.signals.exam_changed``: original exams built again (a makeup linked to or from
    them, or deleted), rosters dropped (who they were for changed), candidacies placed again
    (the opening day moved)."""
    session = db.session()
    deleted = set(deleted)
    if relinked or deleted:
        rebuild(set(relinked) - deleted, session=session)
        if deleted:  # their attempts went with them: some accounts' latest result is an older one
            _store_last_results(
                session,
                select(Attempt.user_id)
                .where(
                    ~exists(select(LastResult.user_id).where(LastResult.user_id == Attempt.user_id))
                )
                .correlate(None),
            )
    drop_rosters(reruled, session=session)
    place_exams(moved, session=session)


def on_people_moved(_sender=None, *, person_ids=(), **_extra) -> None:
    """``people.signals.people_moved``: their candidacies placed again."""
    place(person_ids)
