"""The records of one file (一企一档、一人一档): every exam attempt, certificate, training
session, screening, outside training and the hours credited by year, for a list of people.

Each kind of record is one query over all the people at once (``person_id IN (...)``), so a
file costs the same number of statements whether it holds one record or a thousand. Only
the columns a file shows are read (an attempt's paper and answers are not).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from exam.auth.models import User
from exam.certificates.models import Certificate
from exam.core.extensions import db
from exam.exams.models import Attempt, Exam
from exam.people.models import Person
from exam.screenings.models import Film, Screening, ScreeningAttendance, screening_film
from exam.training.models import Enrolment, ExternalTraining, TrainingSession
from exam.training.services import Ledger, ledgers

#: The years of hours shown: this one and the two before (exam records are kept 3 years).
YEARS_SHOWN = 3


@dataclass(frozen=True)
class AttemptRow:
    person_id: int
    exam_id: int
    exam_title: str
    makeup: bool
    number: int
    started_at: datetime
    submitted_at: datetime | None
    score: float | None
    total_points: float | None
    passed: bool | None
    cancelled: bool
    cancel_reason: str | None
    #: Its score counts (``Attempt.counts``).
    counts: bool


@dataclass(frozen=True)
class CertificateRow:
    person_id: int
    id: int
    number: str
    exam_title: str
    score: float | None
    issued_on: date
    valid_until: date
    status: str


@dataclass(frozen=True)
class SessionRow:
    person_id: int
    session_id: int
    title: str
    organising_unit: str
    starts_at: datetime
    mode: str
    hours: float


@dataclass(frozen=True)
class ScreeningRow:
    person_id: int
    screening_id: int
    starts_at: datetime
    films: str
    venue: str
    organising_unit: str
    hours: float


@dataclass(frozen=True)
class ExternalRow:
    person_id: int
    title: str
    provider: str
    held_on: date
    hours: float


@dataclass
class Records:
    """All the records of some people, by kind, each list newest first."""

    attempts: list[AttemptRow] = field(default_factory=list)
    certificates: list[CertificateRow] = field(default_factory=list)
    sessions: list[SessionRow] = field(default_factory=list)
    screenings: list[ScreeningRow] = field(default_factory=list)
    external: list[ExternalRow] = field(default_factory=list)
    #: (person id, year) -> that year's hours ledger.
    hours: dict[tuple[int, int], Ledger] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)


def attempts(person_ids: list[int]) -> list[AttemptRow]:
    """Every attempt of the people's accounts (submitted or not), newest first."""
    rows = db.session.execute(
        select(
            User.person_id,
            Exam.id,
            Exam.title,
            Exam.makeup_of_id,
            Attempt.number,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.score,
            Attempt.total_points,
            Attempt.passed,
            Attempt.cancelled_at,
            Attempt.cancel_reason,
            Attempt.counts,
        )
        .join(User, User.id == Attempt.user_id)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(User.person_id.in_(person_ids))
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    )
    return [
        AttemptRow(
            pid,
            exam_id,
            title,
            makeup_of is not None,
            number,
            started,
            submitted,
            score,
            total,
            passed,
            cancelled is not None,
            reason,
            counts,
        )
        for (
            pid,
            exam_id,
            title,
            makeup_of,
            number,
            started,
            submitted,
            score,
            total,
            passed,
            cancelled,
            reason,
            counts,
        ) in rows
    ]


def certificates(person_ids: list[int], today: date) -> list[CertificateRow]:
    """Every certificate issued to the people (revoked and superseded ones too), newest first."""
    rows = db.session.scalars(
        select(Certificate)
        .where(Certificate.person_id.in_(person_ids))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    return [
        CertificateRow(
            c.person_id,
            c.id,
            c.number,
            c.exam_title,
            c.score,
            c.issued_on,
            c.valid_until,
            c.status(today),
        )
        for c in rows
    ]


def sessions(person_ids: list[int]) -> list[SessionRow]:
    """The training sessions the people attended (cancelled sessions credit nothing and are
    left out, as in the hours ledger), newest first."""
    rows = db.session.execute(
        select(
            Enrolment.person_id,
            TrainingSession.id,
            TrainingSession.title,
            TrainingSession.organising_unit,
            TrainingSession.starts_at,
            TrainingSession.mode,
            TrainingSession.hours,
        )
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
        .where(
            Enrolment.person_id.in_(person_ids),
            Enrolment.attended_at.is_not(None),
            TrainingSession.cancelled_at.is_(None),
        )
        .order_by(TrainingSession.starts_at.desc(), TrainingSession.id.desc())
    )
    return [SessionRow(*row[:6], float(row[6])) for row in rows]


def screenings(person_ids: list[int]) -> list[ScreeningRow]:
    """The warning-film screenings the people attended by name, newest first, with the films."""
    rows = db.session.execute(
        select(
            ScreeningAttendance.person_id,
            Screening.id,
            Screening.starts_at,
            Screening.venue,
            Screening.organising_unit,
            Screening.hours,
        )
        .join(Screening, Screening.id == ScreeningAttendance.screening_id)
        .where(ScreeningAttendance.person_id.in_(person_ids))
        .order_by(Screening.starts_at.desc(), Screening.id.desc())
    ).all()
    films: dict[int, list[str]] = defaultdict(list)
    # Run even when there are no rows, so a file always costs the same statements.
    for screening_id, title in db.session.execute(
        select(screening_film.c.screening_id, Film.title)
        .join(Film, Film.id == screening_film.c.film_id)
        .where(screening_film.c.screening_id.in_(sorted({row[1] for row in rows})))
        .order_by(Film.title)
    ):
        films[screening_id].append(title)
    return [
        ScreeningRow(pid, sid, starts, "、".join(films[sid]), venue, unit, float(hours))
        for pid, sid, starts, venue, unit, hours in rows
    ]


def external(person_ids: list[int]) -> list[ExternalRow]:
    """Training elsewhere entered with evidence, newest first."""
    rows = db.session.execute(
        select(
            ExternalTraining.person_id,
            ExternalTraining.title,
            ExternalTraining.provider,
            ExternalTraining.held_on,
            ExternalTraining.hours,
        )
        .where(ExternalTraining.person_id.in_(person_ids))
        .order_by(ExternalTraining.held_on.desc(), ExternalTraining.id.desc())
    )
    return [ExternalRow(*row[:4], float(row[4])) for row in rows]


def records_of(people: list[Person], today: date) -> Records:
    """Every record of ``people``, in a number of queries that does not depend on how many
    people or records there are."""
    ids = [p.id for p in people]
    years = [today.year - back for back in range(YEARS_SHOWN)]
    if not ids:
        return Records(years=years)
    hours = {}
    for year in years:
        for person_id, ledger in ledgers(people, year).items():
            hours[(person_id, year)] = ledger
    return Records(
        attempts(ids),
        certificates(ids, today),
        sessions(ids),
        screenings(ids),
        external(ids),
        hours,
        years,
    )


def online_hours(ledger: Ledger) -> float | None:
    """The ledger's hours of online study (None where the ledger has no such field yet)."""
    return getattr(ledger, "online", None)
