"""Keeping ``PersonHours`` (``exam.reports.models``) in step: each person's hours on site per
year, so that the dashboard's hours compliance does not add up a year's attendance (a quarter
of a million enrolments in a province) on every request.

After each flush that touches an enrolment, a named screening attendance or outside training
(or a session's or screening's hours, date or cancellation), the rows of the people concerned
are worked out again from the attendance, in the same transaction; ``rebuild`` does it for
everybody (migration 0013, the benchmark generator). A transaction lock per person on
PostgreSQL keeps two transactions from each writing a sum that misses the other's change.
"""

from __future__ import annotations

import functools

from sqlalchemy import (
    bindparam,
    delete,
    event,
    extract,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from exam.core.extensions import db
from exam.reports.candidacy import changed, lock, values
from exam.reports.models import PersonHours
from exam.reports.queries import local_date
from exam.screenings.models import Screening, ScreeningAttendance
from exam.training.models import Enrolment, ExternalTraining, TrainingSession

SESSION_FIELDS = ("hours", "cancelled_at", "starts_at")
SCREENING_FIELDS = ("hours", "starts_at")
#: What, when it changes on an attendance row, changes its person's hours.
ROW_FIELDS = {
    Enrolment: ("attended_at", "person_id", "session_id"),
    ScreeningAttendance: ("person_id", "screening_id"),
    ExternalTraining: ("hours", "held_on", "person_id"),
}
#: Exam -2 with the person's id: the advisory lock of a person's hours.
LOCK = -2


def _credited(people):
    """(person, year, attended, external) rows of ``people`` (a condition on a person id column)."""
    zero = literal(0.0)
    sessions = (
        select(
            Enrolment.person_id.label("person_id"),
            extract("year", local_date(TrainingSession.starts_at)).label("year"),
            TrainingSession.hours.label("attended"),
            zero.label("external"),
        )
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
        .where(
            Enrolment.attended_at.is_not(None),
            TrainingSession.cancelled_at.is_(None),
            people(Enrolment.person_id),
        )
    )
    screenings = (
        select(
            ScreeningAttendance.person_id,
            extract("year", local_date(Screening.starts_at)),
            Screening.hours,
            zero,
        )
        .join(Screening, Screening.id == ScreeningAttendance.screening_id)
        .where(people(ScreeningAttendance.person_id))
    )
    outside = select(
        ExternalTraining.person_id,
        extract("year", ExternalTraining.held_on),
        zero,
        ExternalTraining.hours,
    ).where(people(ExternalTraining.person_id))
    every = union_all(sessions, screenings, outside).subquery("credited")
    return select(
        every.c.person_id, every.c.year, func.sum(every.c.attended), func.sum(every.c.external)
    ).group_by(every.c.person_id, every.c.year)


@functools.cache
def _refreshing():
    people = bindparam("people", expanding=True)
    gone = delete(PersonHours).where(PersonHours.person_id.in_(people))
    fill = PersonHours.__table__.insert().from_select(
        ["person_id", "year", "attended", "external"], _credited(lambda column: column.in_(people))
    )
    return gone, fill


def refresh(person_ids, session: Session | None = None) -> None:
    """Work the hours of these people out again, every year."""
    session = session or db.session()
    person_ids = sorted({p for p in person_ids if p is not None})
    if not person_ids:
        return
    lock(session, LOCK, person_ids)
    connection = session.connection()  # Core: no ORM bulk semantics
    gone, fill = _refreshing()
    connection.execute(gone, {"people": person_ids})
    connection.execute(fill, {"people": person_ids})


def rebuild(session: Session | None = None) -> None:
    """Everybody's hours, from scratch."""
    session = session or db.session()
    session.execute(delete(PersonHours))
    session.execute(
        PersonHours.__table__.insert().from_select(
            ["person_id", "year", "attended", "external"], _credited(lambda column: true())
        )
    )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    people: set = set()
    sessions, screenings = set(), set()  # edited: their attendees are counted again
    attended = {TrainingSession: set(), Screening: set()}  # whose attendance changed
    for obj in (*session.new, *session.dirty, *session.deleted):
        if type(obj) in ROW_FIELDS and (
            obj not in session.dirty or changed(obj, ROW_FIELDS[type(obj)])
        ):
            people |= values(obj, "person_id")
            if isinstance(obj, Enrolment):
                attended[TrainingSession] |= values(obj, "session_id")
            elif isinstance(obj, ScreeningAttendance):
                attended[Screening] |= values(obj, "screening_id")
        elif (
            isinstance(obj, TrainingSession)
            and obj in session.dirty
            and changed(obj, SESSION_FIELDS)
        ):
            sessions.add(obj.id)
        elif isinstance(obj, Screening) and obj in session.dirty and changed(obj, SCREENING_FIELDS):
            screenings.add(obj.id)
    if session.get_bind().dialect.name == "postgresql":
        # The sessions' and screenings' rows, shared: an edit of their hours or dates (which
        # counts their attendees again, below) waits for this attendance, or this for it.
        for table, ids in attended.items():
            if ids - {None}:
                session.execute(
                    select(table.id).where(table.id.in_(ids - {None})).with_for_update(read=True)
                )
    if sessions:
        people |= set(
            session.scalars(select(Enrolment.person_id).where(Enrolment.session_id.in_(sessions)))
        )
    if screenings:
        people |= set(
            session.scalars(
                select(ScreeningAttendance.person_id).where(
                    ScreeningAttendance.screening_id.in_(screenings)
                )
            )
        )
    if people - {None}:
        refresh(people, session=session)
