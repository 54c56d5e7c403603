"""Films, screenings and named attendance; person-times and hours for reports and files.

Person-times (人次): a screening's headcount of cadres and workers, when given, is the TOTAL
present with the named people among them, so the screening counts
``max(cadres + workers, number named)``: named people are never counted twice, and naming
more people than were counted raises the count rather than losing anyone. Named people are
credited the screening's hours (学时) in their file.

Services validate, change the session and flush; the caller commits. Refused input raises
``InvalidInput`` with every problem found, and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from exam.audit.services import apply_changes, record
from exam.auth.models import User
from exam.core.extensions import db
from exam.core.periods import Periods, within
from exam.core.timeutil import display_zone, utcnow
from exam.people.models import Person, Sector, Town
from exam.people.naming import Naming, look_up, read_entries
from exam.screenings import signals
from exam.screenings.errors import InvalidInput, ScreeningError
from exam.screenings.models import (
    EARLIEST_YEAR,
    LATEST_AHEAD,
    MAX_FILM_MINUTES,
    MAX_HEADCOUNT,
    MAX_HOURS,
    MAX_LINES,
    Film,
    Screening,
    ScreeningAttendance,
)


@dataclass(frozen=True)
class FilmData:
    title: str
    duration_minutes: int
    accident: str = ""
    source: str = ""
    description: str = ""


@dataclass(frozen=True)
class ScreeningData:
    """A screening as entered; ``starts_at`` is aware (UTC or any zone)."""

    starts_at: datetime
    film_ids: list[int]
    venue: str = ""
    organising_unit: str = ""
    audience: str = ""
    hours: float = 1.0
    headcount_cadres: int | None = None
    headcount_workers: int | None = None
    sector_id: int | None = None
    town_id: int | None = None


@dataclass
class ScreeningTotals:
    """Screenings held and person-times, with the parts they are made of."""

    screenings: int = 0
    person_times: int = 0
    named: int = 0
    cadres: int = 0
    workers: int = 0


@dataclass
class AttendanceResult:
    """What became of the lines typed in: added, named before, and refused lines."""

    added: list[Person] = field(default_factory=list)
    already: list[Person] = field(default_factory=list)
    #: What the lines named: any line that named nobody, several people or was not a valid
    #: number refuses the whole list.
    naming: Naming = field(default_factory=Naming)


# --- person-times and hours ------------------------------------------------------------------


def count_person_times(cadres: int | None, workers: int | None, named: int) -> int:
    """Person-times of one screening: the headcount includes the named, so take the larger."""
    return max((cadres or 0) + (workers or 0), named)


def named_count(screening: Screening) -> int:
    return (
        db.session.scalar(
            select(func.count(ScreeningAttendance.id)).where(
                ScreeningAttendance.screening_id == screening.id
            )
        )
        or 0
    )


def person_times(screening: Screening) -> int:
    """Person-times of ``screening``, without counting a named person twice."""
    return count_person_times(
        screening.headcount_cadres, screening.headcount_workers, named_count(screening)
    )


def named_counts(screening_ids: Collection[int]) -> dict[int, int]:
    """Named attendees per screening, for a page of screenings in one query."""
    if not screening_ids:
        return {}
    rows = db.session.execute(
        select(ScreeningAttendance.screening_id, func.count(ScreeningAttendance.id))
        .where(ScreeningAttendance.screening_id.in_(screening_ids))
        .group_by(ScreeningAttendance.screening_id)
    )
    return {screening_id: n for screening_id, n in rows}


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The start of ``year`` and of the next, in the display zone (Beijing time)."""
    zone = display_zone()
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def totals(
    year: int | None = None,
    *,
    sector_ids: Collection[int] | None = None,
    town_ids: Collection[int] | None = None,
    now: datetime | None = None,
) -> ScreeningTotals:
    """Screenings held (started by ``now``) in ``year`` (Beijing time; None: ever) and their
    person-times; ``sector_ids``/``town_ids`` keep only screenings held for those."""
    query = (
        select(
            Screening.headcount_cadres,
            Screening.headcount_workers,
            func.count(ScreeningAttendance.id),
        )
        .outerjoin(ScreeningAttendance, ScreeningAttendance.screening_id == Screening.id)
        .where(Screening.starts_at <= (now or utcnow()))
        .group_by(Screening.id, Screening.headcount_cadres, Screening.headcount_workers)
    )
    if year is not None:
        start, end = year_bounds(year)
        query = query.where(Screening.starts_at >= start, Screening.starts_at < end)
    if sector_ids is not None:
        query = query.where(Screening.sector_id.in_(sector_ids))
    if town_ids is not None:
        query = query.where(Screening.town_id.in_(town_ids))
    result = ScreeningTotals()
    for cadres, workers, named in db.session.execute(query):
        result.screenings += 1
        result.person_times += count_person_times(cadres, workers, named)
        result.named += named
        result.cadres += cadres or 0
        result.workers += workers or 0
    return result


def named_hours(person_id: int, year: int) -> float:
    """Hours credited to a person for screenings they attended by name in ``year`` (Beijing time)."""
    start, end = year_bounds(year)
    total = db.session.scalar(
        select(func.sum(Screening.hours))
        .join(ScreeningAttendance, ScreeningAttendance.screening_id == Screening.id)
        .where(
            ScreeningAttendance.person_id == person_id,
            Screening.starts_at >= start,
            Screening.starts_at < end,
        )
    )
    return float(total or 0.0)


def named_hours_of(person_ids: list[int], year: int) -> dict[int, float]:
    """``named_hours`` for many people in one query (the shortfall list)."""
    return named_hours_in({(date(year, 1, 1), date(year, 12, 31)): person_ids})


def named_hours_in(periods: Periods) -> dict[int, float]:
    """Hours of screenings attended by name, per person, on the days of their own span
    (Beijing days, both ends included: the period of their training obligation); one query."""
    return {
        pid: float(total or 0.0)
        for pid, total in db.session.execute(
            select(ScreeningAttendance.person_id, func.sum(Screening.hours))
            .join(Screening, ScreeningAttendance.screening_id == Screening.id)
            .where(
                within(ScreeningAttendance.person_id, Screening.starts_at, periods, timestamps=True)
            )
            .group_by(ScreeningAttendance.person_id)
        )
    }


def screenings_of(person_id: int) -> list[Screening]:
    """The screenings a person attended by name, newest first (for the personal file)."""
    return list(
        db.session.scalars(
            select(Screening)
            .join(ScreeningAttendance, ScreeningAttendance.screening_id == Screening.id)
            .where(ScreeningAttendance.person_id == person_id)
            .options(selectinload(Screening.films))
            .order_by(Screening.starts_at.desc())
        )
    )


# --- the film library ------------------------------------------------------------------------


def save_film(film: Film | None, data: FilmData) -> Film:
    """Add a film (``film`` None) or change one; refuses a duration out of range or a title
    already in the library."""
    title = data.title.strip()
    problems = []
    if not title:
        problems.append(ScreeningError("required", "title"))
    elif db.session.scalar(
        select(Film.id).where(Film.title == title, Film.id != (film.id if film else None))
    ):
        problems.append(ScreeningError("duplicate_title", "title"))
    if data.duration_minutes is None or not 0 < data.duration_minutes <= MAX_FILM_MINUTES:
        problems.append(ScreeningError("duration", "duration_minutes"))
    if problems:
        raise InvalidInput(problems)
    values = {
        "title": title,
        "accident": data.accident.strip(),
        "duration_minutes": data.duration_minutes,
        "source": data.source.strip(),
        "description": data.description.strip(),
    }
    if film is None:
        film = Film(**values)
        db.session.add(film)
        record("film.create", film, title)
    else:
        changes = apply_changes(film, values)
        if changes:
            record("film.update", film, title, changes)
    db.session.flush()
    return film


# --- screenings ------------------------------------------------------------------------------


def _screening_problems(
    screening: Screening | None, data: ScreeningData, now: datetime
) -> list[ScreeningError]:
    problems = []
    if not data.film_ids:
        problems.append(ScreeningError("no_film", "film_ids"))
    elif len(set(data.film_ids)) != db.session.scalar(
        select(func.count(Film.id)).where(Film.id.in_(data.film_ids))
    ):
        problems.append(ScreeningError("unknown_film", "film_ids"))
    if data.hours is None or not 0 <= data.hours <= MAX_HOURS:
        problems.append(ScreeningError("hours", "hours"))
    for name in ("headcount_cadres", "headcount_workers"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= MAX_HEADCOUNT:
            problems.append(ScreeningError("headcount", name))
    if data.sector_id is not None and db.session.get(Sector, data.sector_id) is None:
        problems.append(ScreeningError("unknown", "sector_id"))
    if data.town_id is not None and db.session.get(Town, data.town_id) is None:
        problems.append(ScreeningError("unknown", "town_id"))
    if data.starts_at.year < EARLIEST_YEAR or data.starts_at > now + LATEST_AHEAD:
        problems.append(ScreeningError("date", "starts_at"))
    elif data.starts_at > now:
        # Nobody can have attended a screening that has not started.
        counted = data.headcount_cadres is not None or data.headcount_workers is not None
        if counted or (screening is not None and named_count(screening)):
            problems.append(ScreeningError("future_attendance", "starts_at"))
    return problems


def save_screening(
    screening: Screening | None, data: ScreeningData, actor: User, now: datetime | None = None
) -> Screening:
    """Add a screening (``screening`` None) or change one, after checking every field."""
    now = now or utcnow()
    problems = _screening_problems(screening, data, now)
    if problems:
        raise InvalidInput(problems)
    films = list(
        db.session.scalars(select(Film).where(Film.id.in_(data.film_ids)).order_by(Film.title))
    )
    values = {
        "starts_at": data.starts_at,
        "venue": data.venue.strip(),
        "organising_unit": data.organising_unit.strip(),
        "audience": data.audience.strip(),
        "hours": float(data.hours),
        "headcount_cadres": data.headcount_cadres,
        "headcount_workers": data.headcount_workers,
        "sector_id": data.sector_id,
        "town_id": data.town_id,
    }
    if screening is None:
        screening = Screening(**values, films=films, created_by_id=actor.id)
        db.session.add(screening)
        record("screening.create", screening, describe(screening), actor=actor)
    else:
        changes = apply_changes(screening, values)
        if {f.id for f in screening.films} != {f.id for f in films}:
            changes["films"] = [[f.title for f in screening.films], [f.title for f in films]]
            screening.films = films
        if changes:
            record("screening.update", screening, describe(screening), changes, actor=actor)
        if changes.keys() & CREDITED_FIELDS:
            announce_attendance(edited=[screening.id])
    db.session.flush()
    return screening


#: A screening's fields that decide the hours its named attendees are credited.
CREDITED_FIELDS = {"hours", "starts_at"}


def announce_attendance(
    *, people: Iterable[int] = (), screenings: Iterable[int] = (), edited: Iterable[int] = ()
) -> None:
    """Tell (``signals.attendance_changed``) that named attendance or a screening's hours
    changed; flushed first."""
    db.session.flush()
    signals.attendance_changed.send(
        people=set(people), screenings=set(screenings), edited=set(edited)
    )


def describe(screening: Screening) -> str:
    """A screening in one line for the log: Beijing date and time, venue, films."""
    when = screening.starts_at.astimezone(display_zone()).strftime("%Y-%m-%d %H:%M")
    return f"{when} {screening.venue} {'、'.join(f.title for f in screening.films)}"[:300]


# --- named attendance ------------------------------------------------------------------------


def add_attendees(
    screening: Screening, text: str, people: Select, actor: User, now: datetime | None = None
) -> AttendanceResult:
    """Name the people on ``text``'s lines as attendees (read by ``people.naming``). Any line
    not found among ``people``, ambiguous or invalid refuses the whole list: the result says
    which, and nothing is added."""
    now = now or utcnow()
    entries = read_entries(text)
    if not entries:
        raise InvalidInput([ScreeningError("required", "lines")])
    if len(entries) > MAX_LINES:
        raise InvalidInput([ScreeningError("too_many", "lines")])
    if screening.starts_at > now:
        raise InvalidInput([ScreeningError("not_started", "lines")])
    result = AttendanceResult(naming=look_up(entries, people))
    if not result.naming.complete:
        return result
    named = set(
        db.session.scalars(
            select(ScreeningAttendance.person_id).where(
                ScreeningAttendance.screening_id == screening.id
            )
        )
    )
    for person in result.naming.people:  # one person typed twice (ID and mobile) is there once
        if person.id in named:
            result.already.append(person)
            continue
        db.session.add(
            ScreeningAttendance(
                screening_id=screening.id,
                person_id=person.id,
                recorded_at=now,
                recorded_by_id=actor.id,
            )
        )
        result.added.append(person)
    if result.added:
        record(
            "screening.attendance_add",
            screening,
            describe(screening),
            {"added": [f"{p.name} {p.masked_id_number}" for p in result.added]},
            actor=actor,
        )
        announce_attendance(people=[p.id for p in result.added], screenings=[screening.id])
    db.session.flush()
    return result


def remove_attendee(screening: Screening, person: Person, actor: User) -> bool:
    """Take a named person off a screening (their hours go with it); False if not named."""
    attendance = db.session.scalar(
        select(ScreeningAttendance).where(
            ScreeningAttendance.screening_id == screening.id,
            ScreeningAttendance.person_id == person.id,
        )
    )
    if attendance is None:
        return False
    db.session.delete(attendance)
    record(
        "screening.attendance_remove",
        screening,
        describe(screening),
        {"removed": f"{person.name} {person.masked_id_number}"},
        actor=actor,
    )
    announce_attendance(people=[person.id], screenings=[screening.id])
    return True


def person_file_part(person) -> dict:
    """The screenings' part of a person's file (``people.signals.person_file``)."""
    return {"screenings": screenings_of(person.id)}
