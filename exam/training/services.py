"""Sessions, invitations, enrolment with a waiting list, attendance (roll call or a signed,
short-lived QR code) and the hours ledger against the legal minimum (``obligations``: what the
law asks of each person, due by when, and which days' hours count toward it). Only attended
sessions count; named attendance at warning-film screenings and outside training entered with
evidence count too. Services flush; the request commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from exam.audit.services import record
from exam.auth.models import User
from exam.core.extensions import db
from exam.core.periods import Periods, within
from exam.people.models import Employment, Enterprise, Person
from exam.training import signals
from exam.training.errors import TrainingError
from exam.training.models import Enrolment, EnrolmentStatus, ExternalTraining, TrainingSession
from exam.training.obligations import Requirement, requirement

#: A sign-in code changes every this many seconds; the current and the previous one are accepted.
CODE_SECONDS = 120
#: Sign-in opens this long before a session starts (people arrive early) and closes at its end.
EARLY_SIGNIN = timedelta(minutes=30)
#: Most hours one session may credit (a day-long course is 8).
MAX_SESSION_HOURS = 40


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# --- invitations and enrolment ---------------------------------------------------------------


def is_invited(session: TrainingSession, person: Person) -> bool:
    rules = session.invitation or {}
    if person.id in (rules.get("person_ids") or ()):
        return True
    enterprise = person.enterprise
    if enterprise is None:
        return False
    checks = []
    if rules.get("enterprise_ids"):
        checks.append(enterprise.id in rules["enterprise_ids"])
    if rules.get("roles"):
        checks.append(person.role in rules["roles"])
    if session.sectors:
        checks.append(bool({s.id for s in session.sectors} & {s.id for s in enterprise.sectors}))
    if not checks:
        return not rules.get("person_ids")  # only named people, or everybody
    return all(checks)


def enrolled_count(session: TrainingSession) -> int:
    return db.session.scalar(
        select(func.count(Enrolment.id)).where(
            Enrolment.session_id == session.id, Enrolment.status == EnrolmentStatus.ENROLLED
        )
    )


#: A session's fields that decide the hours its attendees are credited.
CREDITED_FIELDS = ("hours", "cancelled_at", "starts_at")


def announce_attendance(
    *, people: Iterable[int] = (), sessions: Iterable[int] = (), edited: Iterable[int] = ()
) -> None:
    """Tell (``signals.attendance_changed``) that these people's attendance at these sessions,
    or these sessions' hours, changed; flushed first."""
    people, sessions, edited = (set(ids) - {None} for ids in (people, sessions, edited))
    db.session.flush()
    if people or sessions or edited:
        signals.attendance_changed.send(people=people, sessions=sessions, edited=edited)


def announce_session_edit(session: TrainingSession) -> None:
    """Tell, if a pending change of this (existing) session changes the hours it credits."""
    state = inspect(session)
    if state.pending or state.transient:
        return
    # History and identity only: loading an expired session would drop its pending changes.
    if any(state.attrs[name].history.has_changes() for name in CREDITED_FIELDS):
        announce_attendance(edited=[state.identity[0]])


def _lock(session: TrainingSession) -> None:
    """Serialise enrolments of one session (PostgreSQL; SQLite has one writer anyway)."""
    db.session.execute(
        select(TrainingSession.id).where(TrainingSession.id == session.id).with_for_update()
    )


def enrol(session: TrainingSession, person: Person, now: datetime) -> Enrolment:
    """A seat if one is free, else a place on the waiting list; enrolling twice changes nothing."""
    if session.cancelled_at is not None:
        raise TrainingError("cancelled")
    if now >= session.ends_at:
        raise TrainingError("over")
    if not is_invited(session, person):
        raise TrainingError("not_invited")
    _lock(session)
    enrolment = db.session.scalar(
        select(Enrolment).where(
            Enrolment.session_id == session.id, Enrolment.person_id == person.id
        )
    )
    if enrolment is not None and enrolment.status != EnrolmentStatus.WITHDRAWN:
        return enrolment
    full = session.capacity is not None and enrolled_count(session) >= session.capacity
    status = EnrolmentStatus.WAITING if full else EnrolmentStatus.ENROLLED
    if enrolment is None:
        enrolment = Enrolment(
            session_id=session.id, person_id=person.id, status=status, enrolled_at=now
        )
        db.session.add(enrolment)
        announce_attendance(people=[person.id], sessions=[session.id])
    else:
        enrolment.status, enrolment.enrolled_at = status, now
    db.session.flush()
    return enrolment


def withdraw(enrolment: Enrolment, now: datetime) -> Enrolment | None:
    """Give the place up before the session starts; the first on the waiting list takes it
    (returned). Whoever has come cannot withdraw."""
    session = enrolment.session
    if enrolment.attended_at is not None or now >= session.starts_at:
        raise TrainingError("started")
    _lock(session)
    was_enrolled = enrolment.status == EnrolmentStatus.ENROLLED
    enrolment.status = EnrolmentStatus.WITHDRAWN
    db.session.flush()
    return _promote(session) if was_enrolled else None


def _promote(session: TrainingSession) -> Enrolment | None:
    if session.capacity is not None and enrolled_count(session) >= session.capacity:
        return None
    first = db.session.scalar(
        select(Enrolment)
        .where(Enrolment.session_id == session.id, Enrolment.status == EnrolmentStatus.WAITING)
        .order_by(Enrolment.enrolled_at, Enrolment.id)
        .limit(1)
    )
    if first is not None:
        first.status = EnrolmentStatus.ENROLLED
        db.session.flush()
    return first


def set_capacity(session: TrainingSession, capacity: int | None) -> None:
    """Change the seats: never below those already enrolled; freed seats go to the waiting list."""
    if session.id is not None:
        _lock(session)
        if capacity is not None and capacity < enrolled_count(session):
            raise TrainingError("capacity_below_enrolled", enrolled=enrolled_count(session))
    session.capacity = capacity
    if session.id is not None:
        while _promote(session) is not None:
            pass


def invite(session: TrainingSession, person_ids: list[int], actor: User) -> int:
    """Add these people to the session's invitation; the number newly invited."""
    rules = dict(session.invitation or {})
    named = list(rules.get("person_ids") or [])
    added = [pid for pid in person_ids if pid not in named]
    rules["person_ids"] = named + added
    session.invitation = rules
    record(
        "training.invite",
        session,
        f"{session.title}: +{len(added)}",
        {"person_ids": added},
        actor=actor,
    )
    return len(added)


# --- attendance -------------------------------------------------------------------------------


def signin_code(session: TrainingSession, now: datetime, slots_back: int = 0) -> str:
    """The code in the room's QR code now: signed with the session's secret, bound to the
    session and to a two-minute slot of time, so it cannot be guessed, forged or reused later."""
    slot = int(now.timestamp()) // CODE_SECONDS - slots_back
    digest = hmac.new(
        session.signin_secret.encode(), f"{session.id}:{slot}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest[:10]).decode().rstrip("=")


def code_valid(session: TrainingSession, code: str, now: datetime) -> bool:
    code = (code or "").strip().upper()
    if not code.isascii() or len(code) > 32:
        return False
    return any(hmac.compare_digest(code, signin_code(session, now, back)) for back in (0, 1))


def signin_open(session: TrainingSession, now: datetime) -> bool:
    return (
        session.cancelled_at is None and session.starts_at - EARLY_SIGNIN <= now <= session.ends_at
    )


def _attend(
    session: TrainingSession, person: Person, how: str, now: datetime, actor: User | None
) -> Enrolment:
    enrolment = db.session.scalar(
        select(Enrolment).where(
            Enrolment.session_id == session.id, Enrolment.person_id == person.id
        )
    )
    changed = enrolment is None or enrolment.attended_at is None
    if enrolment is None:
        enrolment = Enrolment(session_id=session.id, person_id=person.id, enrolled_at=now)
        db.session.add(enrolment)
    enrolment.status = EnrolmentStatus.ENROLLED  # whoever is in the room has a seat
    if enrolment.attended_at is None:  # signing in twice counts once
        enrolment.attended_at, enrolment.attended_by = now, how
        enrolment.marked_by_id = actor.id if actor else None
    db.session.flush()
    if changed:
        announce_attendance(people=[person.id], sessions=[session.id])
    return enrolment


def sign_in(session: TrainingSession, person: Person, code: str, now: datetime) -> Enrolment:
    """The attendee's own sign-in from the QR code in the room."""
    if not code_valid(session, code, now):
        raise TrainingError("bad_code")
    if not signin_open(session, now):
        raise TrainingError("signin_closed")
    if not is_invited(session, person) and not db.session.scalar(
        select(Enrolment.id).where(
            Enrolment.session_id == session.id, Enrolment.person_id == person.id
        )
    ):
        raise TrainingError("not_invited")
    try:
        with db.session.begin_nested():
            return _attend(session, person, "qr", now, None)
    except IntegrityError:  # the same person signed in twice at once: the other one counted
        return db.session.scalar(
            select(Enrolment).where(
                Enrolment.session_id == session.id, Enrolment.person_id == person.id
            )
        )


def roll_call(
    session: TrainingSession,
    present: set[int],
    actor: User,
    now: datetime,
    shown_present: set[int] | None = None,
) -> tuple[int, int]:
    """The organiser's roll call: ``present`` are the person ids ticked; only those that were
    shown ticked (``shown_present``) and are no longer are unmarked, so that a QR sign-in made
    while the list was open is kept. (marked, unmarked)"""
    if session.cancelled_at is not None:
        raise TrainingError("cancelled")
    if now < session.starts_at - EARLY_SIGNIN:
        raise TrainingError("not_started")
    marked, unmarked_ids = 0, set()
    enrolments = {e.person_id: e for e in session.enrolments}
    for person_id in present:
        if person_id not in enrolments or enrolments[person_id].attended_at is None:
            person = db.session.get(Person, person_id)
            if person is not None:
                _attend(session, person, "rollcall", now, actor)
                marked += 1
    for person_id, enrolment in enrolments.items():
        if shown_present is not None and person_id not in shown_present:
            continue
        if person_id not in present and enrolment.attended_at is not None:
            enrolment.attended_at = enrolment.attended_by = None
            unmarked_ids.add(person_id)
    if unmarked_ids:
        announce_attendance(people=unmarked_ids, sessions=[session.id])
    record("training.rollcall", session, session.title, {"present": sorted(present)}, actor=actor)
    return marked, len(unmarked_ids)


# --- the hours ledger ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    year: int
    sessions: float
    screenings: float
    external: float
    requirement: Requirement | None
    #: Hours credited from tracked online study (kept apart from hours on site).
    online: float = 0.0

    @property
    def onsite(self) -> float:
        return round(self.sessions + self.screenings + self.external, 2)

    @property
    def total(self) -> float:
        return round(self.onsite + self.online, 2)

    @property
    def gap(self) -> float:
        return max(0.0, round(self.requirement.hours - self.total, 2)) if self.requirement else 0.0


def session_hours(periods: Periods) -> dict[int, float]:
    """Hours of sessions attended, per person, on the days of their own span (Beijing days)."""
    return {
        pid: float(hours or 0)
        for pid, hours in db.session.execute(
            select(Enrolment.person_id, func.sum(TrainingSession.hours))
            .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
            .where(
                within(Enrolment.person_id, TrainingSession.starts_at, periods, timestamps=True),
                Enrolment.attended_at.is_not(None),
                TrainingSession.cancelled_at.is_(None),
            )
            .group_by(Enrolment.person_id)
        )
    }


def external_hours(periods: Periods) -> dict[int, float]:
    """Hours of outside training (where the bureau counts it), per person, in their span."""
    if not current_app.config["EXTERNAL_HOURS"]:
        return {}
    return {
        pid: float(hours or 0)
        for pid, hours in db.session.execute(
            select(ExternalTraining.person_id, func.sum(ExternalTraining.hours))
            .where(within(ExternalTraining.person_id, ExternalTraining.held_on, periods))
            .group_by(ExternalTraining.person_id)
        )
    }


def screening_hours(periods: Periods) -> dict[int, float]:
    """Hours from named attendance at warning-film screenings."""
    from exam.screenings.services import named_hours_in

    return named_hours_in(periods)


def _load_history(people: list[Person]) -> None:
    """Load the people's stints, their enterprises and sectors at once (not one person at a
    time as ``requirement`` reads them)."""
    ids = [p.id for p in people if "employments" in inspect(p).unloaded]
    if ids:
        db.session.scalars(
            select(Person)
            .where(Person.id.in_(ids))
            .options(
                selectinload(Person.employments)
                .selectinload(Employment.enterprise)
                .selectinload(Enterprise.sectors)
            )
        ).all()


def ledgers(people: list[Person], year: int) -> dict[int, Ledger]:
    """Each person's obligation in force in ``year`` and the hours credited toward it (those on
    the days of its period: ``obligations``), in a few queries however many people."""
    from exam.learning.services import online_hours_in

    _load_history(people)
    owed = {p.id: requirement(p, year) for p in people}
    periods: dict[tuple[date, date], list[int]] = {}
    for p in people:
        due = owed[p.id]
        span = (due.counts_from, due.counts_to) if due else (date(year, 1, 1), date(year, 12, 31))
        periods.setdefault(span, []).append(p.id)
    if not periods:
        return {}
    sessions, external, screenings, online = (
        count(periods)
        for count in (session_hours, external_hours, screening_hours, online_hours_in)
    )
    return {
        p.id: Ledger(
            year,
            sessions.get(p.id, 0.0),
            screenings.get(p.id, 0.0),
            external.get(p.id, 0.0),
            owed[p.id],
            online.get(p.id, 0.0),
        )
        for p in people
    }


def ledger(person: Person, year: int) -> Ledger:
    return ledgers([person], year)[person.id]


def attended(person: Person) -> list[Enrolment]:
    """Every session the person came to, newest first (their training file)."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(TrainingSession)
            .where(Enrolment.person_id == person.id, Enrolment.attended_at.is_not(None))
            .order_by(TrainingSession.starts_at.desc())
        )
    )


def meets_requirement(person: Person, today: date) -> Ledger | None:
    """None if the person has done the hours of the obligation in force this year, or of last
    year's (so that January does not shut everybody out), or owes none; else this year's
    ledger."""
    current = ledger(person, today.year)
    if current.gap == 0 or ledger(person, today.year - 1).gap == 0:
        return None
    return current


def add_external(
    person: Person,
    actor: User,
    *,
    title: str,
    provider: str,
    held_on: date,
    hours: float,
    evidence: bytes,
    evidence_name: str,
    evidence_type: str,
) -> ExternalTraining:
    if not current_app.config["EXTERNAL_HOURS"]:
        raise TrainingError("external_off")
    if not 0 < hours <= MAX_SESSION_HOURS:
        raise TrainingError("bad_hours")
    entry = ExternalTraining(
        person_id=person.id,
        title=title,
        provider=provider,
        held_on=held_on,
        hours=hours,
        evidence=evidence,
        evidence_name=evidence_name,
        evidence_type=evidence_type,
        created_by_id=actor.id,
    )
    db.session.add(entry)
    announce_attendance(people=[person.id])
    record("training.external", person, f"{person.name}: {title} {hours}", actor=actor)
    return entry


def enterprise_ids_in(sector_id: int | None, town_id: int | None):
    query = select(Enterprise.id)
    if town_id:
        query = query.where(Enterprise.town_id == town_id)
    if sector_id:
        query = query.where(Enterprise.sectors.any(id=sector_id))
    return query


def upcoming_for(person: Person, now: datetime) -> list[tuple[TrainingSession, Enrolment | None]]:
    """Sessions not over that invite the person (or that they joined), with their enrolment."""
    mine = {
        e.session_id: e
        for e in db.session.scalars(select(Enrolment).where(Enrolment.person_id == person.id))
    }
    sessions = db.session.scalars(
        select(TrainingSession)
        .options(selectinload(TrainingSession.sectors))
        .where(TrainingSession.ends_at > now)
        .order_by(TrainingSession.starts_at)
    ).all()
    return [
        (s, mine.get(s.id))
        for s in sessions
        if (s.cancelled_at is None and is_invited(s, person)) or s.id in mine
    ]
