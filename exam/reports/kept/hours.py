"""Keeping ``PersonHours`` (``exam.reports.kept.models``) in step: each person's hours on site per
obligation period (``exam.training.obligations.period_sql``: a stint's initial period or a year), so that the dashboard's hours compliance does not add up a year's attendance (a quarter
of a million enrolments in a province) on every request.

When an enrolment, a named screening attendance or outside training changes (or a session's or
screening's hours, date or cancellation), the rows of the people concerned are worked out again
from the attendance, in the same transaction: the training and screenings features send
``attendance_changed`` once the change is flushed, and the reports blueprint connects the
receivers below; a change of post or history (``people_moved``) moves the periods, so it counts
the person's hours again too. Changing ``INITIAL_TRAINING_MONTHS`` needs ``rebuild`` (``anpei rebuild-hours``). ``rebuild`` does it for everybody (migration 0013, the benchmark generator,
``anpei demo``). A transaction lock per person on
PostgreSQL keeps two transactions from each writing a sum that misses the other's change.
"""

from __future__ import annotations

import functools

from sqlalchemy import (
    bindparam,
    delete,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from exam.core.extensions import db
from exam.reports.kept.candidacy import lock
from exam.reports.kept.models import PersonHours
from exam.reports.sql.dates import local_date
from exam.screenings.models import Screening, ScreeningAttendance
from exam.training.models import Enrolment, ExternalTraining, TrainingSession
from exam.training.obligations import period_sql, stint_covering

#: Exam -2 with the person's id: the advisory lock of a person's hours.
LOCK = -2


def _credited(people):
    """(person, period, attended, external) rows of ``people`` (a condition on a person id
    column): each hour in the period of the obligation it counts toward (``period_sql``)."""
    zero = literal(0.0)
    sessions = (
        select(
            Enrolment.person_id.label("person_id"),
            local_date(TrainingSession.starts_at).label("day"),
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
            local_date(Screening.starts_at),
            Screening.hours,
            zero,
        )
        .join(Screening, Screening.id == ScreeningAttendance.screening_id)
        .where(people(ScreeningAttendance.person_id))
    )
    outside = select(
        ExternalTraining.person_id,
        ExternalTraining.held_on,
        zero,
        ExternalTraining.hours,
    ).where(people(ExternalTraining.person_id))
    every = union_all(sessions, screenings, outside).subquery("credited")
    stint, held = stint_covering(every.c.person_id, every.c.day)
    dated = (
        select(
            every.c.person_id,
            period_sql(stint, every.c.day).label("period"),
            every.c.attended,
            every.c.external,
        )
        .select_from(every)
        .outerjoin(stint, held)
        .subquery("dated")
    )
    return select(
        dated.c.person_id, dated.c.period, func.sum(dated.c.attended), func.sum(dated.c.external)
    ).group_by(dated.c.person_id, dated.c.period)


@functools.cache
def _refreshing():
    people = bindparam("people", expanding=True)
    gone = delete(PersonHours).where(PersonHours.person_id.in_(people))
    fill = PersonHours.__table__.insert().from_select(
        ["person_id", "period", "attended", "external"],
        _credited(lambda column: column.in_(people)),
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
            ["person_id", "period", "attended", "external"], _credited(lambda column: true())
        )
    )


# --- the receivers ---------------------------------------------------------------------------
# Connected by the reports blueprint to the training and screenings features' signals; each
# runs inside the sender's unit of work, after the change has been flushed.


def on_training_attendance(_sender=None, *, people=(), sessions=(), edited=(), **_extra) -> None:
    """``training.signals.attendance_changed``: the hours of these people, and of everybody
    who attended the edited sessions, worked out again."""
    _count_again(
        TrainingSession, Enrolment.person_id, Enrolment.session_id, people, sessions, edited
    )


def on_people_moved(_sender=None, *, person_ids=(), **_extra) -> None:
    """``people.signals.people_moved``: their stints changed, so did the periods of their hours."""
    refresh(person_ids)


def on_screening_attendance(_sender=None, *, people=(), screenings=(), edited=(), **_extra) -> None:
    """``screenings.signals.attendance_changed``: as ``on_training_attendance``."""
    _count_again(
        Screening,
        ScreeningAttendance.person_id,
        ScreeningAttendance.screening_id,
        people,
        screenings,
        edited,
    )


def _count_again(table, attendee, held_at, people, attended, edited) -> None:
    """Lock the ``attended`` rows of ``table`` (sessions or screenings) shared, then work out
    again the hours of ``people`` and of the attendees of the ``edited`` ones (``attendee``:
    the attendance's person column; ``held_at``: its column naming the session or screening)."""
    session = db.session()
    people, attended, edited = (set(ids) - {None} for ids in (people, attended, edited))
    if attended and session.get_bind().dialect.name == "postgresql":
        # The sessions' or screenings' rows, shared: an edit of their hours or dates (which
        # counts their attendees again, below) waits for this attendance, or this for it.
        session.execute(select(table.id).where(table.id.in_(attended)).with_for_update(read=True))
    if edited:
        people |= set(session.scalars(select(attendee).where(held_at.in_(edited))))
    if people:
        refresh(people, session=session)
