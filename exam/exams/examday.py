"""Exam day: each candidate's terms (overrides), devices, focus losses, invigilators' actions
and makeup exams.

Every organiser's action is logged twice: as an event of the attempt (the candidate's
timeline on the console) and in the audit log (who, when, from where, why). Services flush;
the request commits.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from exam.audit.services import record
from exam.auth.models import User
from exam.core.extensions import db
from exam.exams import attempt_items, news, signals
from exam.exams.eligibility import is_eligible
from exam.exams.models import (
    Attempt,
    AttemptEvent,
    Exam,
    ExamOverride,
    ExamStatus,
    window_status,
)
from exam.exams.services import ExamError, check_bank, submit
from exam.exams.standing import at_exam, back_to_training
from exam.people.models import Person
from question_bank.problems import Problem

#: Longest extension or reopening an organiser may give at once.
MAX_EXTRA_MINUTES = 24 * 60


# --- terms: the exam's settings as they apply to one candidate ---------------------------


@dataclass(frozen=True)
class Terms:
    opens_at: datetime
    closes_at: datetime
    duration_minutes: int
    attempts_allowed: int
    override: ExamOverride | None = None

    def status(self, exam: Exam, now: datetime) -> str:
        """The exam's status for this candidate: their window read as the exam's is."""
        return window_status(exam.is_published, self.opens_at, self.closes_at, now)


def overrides_for(exam: Exam, person: Person | None) -> list[ExamOverride]:
    """The overrides that apply to a person, most specific first: their own, their
    enterprise's, their town's (the latest first at each level)."""
    if person is None:
        return []
    overrides = db.session.scalars(
        select(ExamOverride).where(ExamOverride.exam_id == exam.id).order_by(ExamOverride.id.desc())
    ).all()
    enterprise = person.enterprise
    return (
        [o for o in overrides if o.person_id == person.id]
        + [o for o in overrides if enterprise is not None and o.enterprise_id == enterprise.id]
        + [
            o
            for o in overrides
            if enterprise is not None and o.town_id is not None and o.town_id == enterprise.town_id
        ]
    )


def terms_for(exam: Exam, user: User) -> Terms:
    """The exam's terms for this candidate. Overrides combine field by field: the window from
    the most specific override that sets one, the largest extra minutes and attempts."""
    overrides = overrides_for(exam, user.person)
    if not overrides:
        return Terms(exam.opens_at, exam.closes_at, exam.duration_minutes, exam.attempts_allowed)
    opens = next((o.opens_at for o in overrides if o.opens_at), exam.opens_at)
    closes = next((o.closes_at for o in overrides if o.closes_at), exam.closes_at)
    return Terms(
        opens,
        closes,
        exam.duration_minutes + max(o.extra_minutes for o in overrides),
        exam.attempts_allowed + max(o.extra_attempts for o in overrides),
        overrides[0],
    )


def last_close(exam: Exam) -> datetime:
    """When the exam has ended for everybody: its close, the latest close an override gives,
    and the deadline (with grace) of any attempt still under way (an organiser may have
    given more time)."""
    from exam.exams.services import grace

    later = db.session.scalar(
        select(func.max(ExamOverride.closes_at)).where(ExamOverride.exam_id == exam.id)
    )
    running = db.session.scalar(
        select(func.max(Attempt.deadline)).where(
            Attempt.exam_id == exam.id, Attempt.submitted_at.is_(None)
        )
    )
    return max(filter(None, [exam.closes_at, later, running + grace() if running else None]))


def closed_for_everybody(exam: Exam, now: datetime) -> bool:
    # Never before the exam's own close (``last_close`` is never earlier): while the exam is
    # open, as at every submission of its exam day, no attempt need be looked at.
    return exam.is_published and now >= exam.closes_at and now >= last_close(exam)


#: Candidates sign in and wait during this time before an exam opens: the report pages count
#: it as exam day already (the bureau watches them fill while thousands of phones sign in).
ARRIVAL = timedelta(minutes=30)


def sitting_now(now: datetime) -> bool:
    """Somebody is sitting an exam, is about to, or may start one: a published exam is open or
    opens within ``ARRIVAL``, or an attempt is under way (an organiser's extra time runs past
    the close). Two index probes; the reports keep their pages for a few seconds while it
    holds (``exam.core.pagecache``)."""
    open_exam = (
        select(Exam.id).where(Exam.has_opened(now + ARRIVAL), ~Exam.has_closed(now)).exists()
    )
    running = (
        select(Attempt.id).where(Attempt.deadline > now, Attempt.submitted_at.is_(None)).exists()
    )
    return bool(db.session.scalar(select(or_(open_exam, running))))


def unservable(exam: Exam, now: datetime, problems: list[Problem] | None = None) -> list[Problem]:
    """Why candidates cannot start a published exam someone may still sit (the bank no longer
    serves its paper): what its organisers' pages warn of. Empty for a draft, an exam over
    for everybody, or one the bank serves. ``problems``: ``check_bank(exam)`` if already read."""
    if not exam.is_published or closed_for_everybody(exam, now):
        return []
    return check_bank(exam) if problems is None else problems


def add_override(
    exam: Exam,
    actor: User,
    *,
    reason: str,
    person: Person | None = None,
    enterprise=None,
    town=None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    extra_minutes: int = 0,
    extra_attempts: int = 0,
    now: datetime,
) -> ExamOverride:
    """Give one person, an enterprise or a town other terms; attempts under way get the new
    deadline at once (and only theirs)."""
    if [person, enterprise, town].count(None) != 2:
        raise ExamError("override_target")
    start, end = opens_at or exam.opens_at, closes_at or exam.closes_at
    if end <= start:
        raise ExamError("override_ends_before_start")
    if not (opens_at or closes_at or extra_minutes or extra_attempts):
        raise ExamError("override_empty")
    override = ExamOverride(
        exam_id=exam.id,
        person=person,
        enterprise=enterprise,
        town=town,
        opens_at=opens_at,
        closes_at=closes_at,
        extra_minutes=extra_minutes,
        extra_attempts=extra_attempts,
        reason=reason,
        created_by_id=actor.id,
    )
    db.session.add(override)
    db.session.flush()
    target = person.name if person else (enterprise.name if enterprise else town.name)
    record(
        "exam.override",
        exam,
        f"{exam.title}: {target}",
        {
            "reason": reason,
            "opens_at": str(opens_at or ""),
            "closes_at": str(closes_at or ""),
            "extra_minutes": extra_minutes,
            "extra_attempts": extra_attempts,
        },
        actor=actor,
    )
    # Attempts under way whose terms now give more time get it (nobody else's deadline moves).
    for attempt in db.session.scalars(
        select(Attempt)
        .options(selectinload(Attempt.user))
        .where(Attempt.exam_id == exam.id, Attempt.submitted_at.is_(None))
    ):
        terms = terms_for(exam, attempt.user)
        attempt.deadline = max(
            attempt.deadline,
            min(attempt.started_at + timedelta(minutes=terms.duration_minutes), terms.closes_at),
        )
    return override


def remove_override(override: ExamOverride, actor: User) -> None:
    record(
        "exam.override_remove", db.session.get(Exam, override.exam_id), override.reason, actor=actor
    )
    db.session.delete(override)


# --- integrity: network, access code, device, focus ------------------------------------


def networks(exam: Exam) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(line.strip(), strict=False)
        for line in (exam.allowed_networks or "").replace(",", "\n").splitlines()
        if line.strip()
    ]


def check_network(exam: Exam, address: str | None) -> None:
    allowed = networks(exam)
    if not allowed:
        return
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        raise ExamError("network") from None
    if not any(ip in network for network in allowed):
        raise ExamError("network")


def check_access_code(exam: Exam, code: str | None) -> None:
    if exam.access_code and (code or "").strip().upper() != exam.access_code.strip().upper():
        raise ExamError("access_code")


def check_device(attempt: Attempt, device: str, now: datetime) -> bool:
    """Bind the attempt to its first device; another one needs an organiser's permission.
    True when the binding changed (the caller commits it at once).

    A refused device loses nothing: its page keeps the answers and sends them once allowed.
    """
    if not attempt.exam.one_device or attempt.device_id == device:
        return False
    if attempt.device_id is None:
        attempt.device_id = device
    elif attempt.new_device_allowed:
        attempt.device_id, attempt.new_device_allowed = device, False
        attempt.device_changes += 1
        db.session.add(
            AttemptEvent(attempt_id=attempt.id, kind=AttemptEvent.DEVICE_CHANGED, at=now)
        )
    else:
        last = db.session.scalar(
            select(AttemptEvent)
            .where(AttemptEvent.attempt_id == attempt.id)
            .order_by(AttemptEvent.id.desc())
            .limit(1)
        )
        if (
            last is None or last.kind != AttemptEvent.DEVICE_BLOCKED
        ):  # one event per episode, not per retry
            db.session.add(
                AttemptEvent(attempt_id=attempt.id, kind=AttemptEvent.DEVICE_BLOCKED, at=now)
            )
        raise ExamError("device_blocked")
    return True


def focus_lost(attempt: Attempt, now: datetime) -> bool:
    """Record that the page lost focus; True if that forced the attempt's submission."""
    exam = attempt.exam
    attempt.last_seen_at = now
    if attempt.submitted_at is not None or not exam.focus_tracking:
        return False
    # Counted in the database: two events at once both count.
    attempt.focus_losses = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id)
        .values(focus_losses=Attempt.focus_losses + 1)
        .returning(Attempt.focus_losses)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.add(
        AttemptEvent(
            attempt_id=attempt.id,
            kind=AttemptEvent.FOCUS_LOST,
            at=now,
            detail={"count": attempt.focus_losses},
        )
    )
    if exam.focus_loss_limit is not None and attempt.focus_losses > exam.focus_loss_limit:
        db.session.add(AttemptEvent(attempt_id=attempt.id, kind=AttemptEvent.FORCED_SUBMIT, at=now))
        submit(attempt, now, auto=True)
        return True
    return False


# --- invigilators' actions ---------------------------------------------------------------


def _act(attempt: Attempt, kind: str, actor: User, reason: str, now: datetime, **detail) -> None:
    db.session.add(
        AttemptEvent(
            attempt_id=attempt.id,
            kind=kind,
            at=now,
            actor_id=actor.id,
            reason=reason,
            detail=detail or None,
        )
    )
    record(
        f"attempt.{kind}",
        attempt.exam,
        f"{attempt.exam.title}: {attempt.user.name}",
        {"attempt": attempt.id, "reason": reason, **detail},
        actor=actor,
    )


def extend(attempt: Attempt, minutes: int, actor: User, reason: str, now: datetime) -> None:
    """Give one attempt under way more time (its deadline only). One already past its
    deadline is closed first: it needs reopening, which says so in the log."""
    from exam.exams.services import close_if_overdue

    if close_if_overdue(attempt, now):
        raise ExamError("submitted")
    if not 0 < minutes <= MAX_EXTRA_MINUTES:
        raise ExamError("bad_minutes")
    attempt.deadline = max(attempt.deadline, now) + timedelta(minutes=minutes)
    _act(attempt, AttemptEvent.EXTENDED, actor, reason, now, minutes=minutes)


def reopen(attempt: Attempt, minutes: int, actor: User, reason: str, now: datetime) -> None:
    """Let a closed attempt go on (e.g. after a power cut) with its answers as they were."""
    if attempt.submitted_at is None:
        raise ExamError("not_submitted")
    if attempt.cancelled_at is not None:
        raise ExamError("cancelled")
    if attempt.review_shown_at is not None:
        raise ExamError("review_shown")  # the candidate has seen the right answers
    if not 0 < minutes <= MAX_EXTRA_MINUTES:
        raise ExamError("bad_minutes")
    if db.session.scalar(
        select(Attempt.id).where(
            Attempt.exam_id == attempt.exam_id,
            Attempt.user_id == attempt.user_id,
            Attempt.submitted_at.is_(None),
            Attempt.id != attempt.id,
        )
    ):
        raise ExamError("other_open")
    signals.attempt_withdrawn.send(attempt, actor=actor, reason=f"答卷重新开放：{reason}", now=now)
    attempt.submitted_at, attempt.auto_submitted, attempt.focus_losses = None, False, 0
    attempt.score = attempt.total_points = attempt.passed = attempt.result = None
    attempt_items.write(db.session.connection(), attempt.id, [])  # graded again when submitted
    attempt.deadline = now + timedelta(minutes=minutes)
    news.attempts_changed([attempt], lost=True)
    _act(attempt, AttemptEvent.REOPENED, actor, reason, now, minutes=minutes)


def allow_new_device(attempt: Attempt, actor: User, reason: str, now: datetime) -> None:
    if attempt.submitted_at is not None:
        raise ExamError("submitted")
    attempt.new_device_allowed = True
    _act(attempt, AttemptEvent.DEVICE_ALLOWED, actor, reason, now)


def cancel(attempt: Attempt, actor: User, reason: str, now: datetime) -> None:
    """Cancel the score for a violation: the result stays, marked, and counts in no pass rate."""
    if attempt.cancelled_at is not None:
        raise ExamError("cancelled")
    if attempt.submitted_at is None:
        submit(attempt, now, auto=True)
    attempt.cancelled_at, attempt.cancel_reason, attempt.cancelled_by_id = now, reason, actor.id
    signals.attempt_withdrawn.send(attempt, actor=actor, reason=f"成绩作废：{reason}", now=now)
    news.attempts_changed([attempt], lost=True)
    _act(attempt, AttemptEvent.CANCELLED, actor, reason, now)


# --- makeup exams --------------------------------------------------------------------------


def name_candidates(exam: Exam, person_ids: list[int], actor: User) -> int:
    """Name these people among those the exam is for; the number newly named. An exam for
    everybody already takes them (naming anyone would make it for the named only)."""
    rules = dict(exam.eligibility or {})
    restricting = any(rules.get(k) for k in ("roles", "sector_ids", "town_ids", "enterprise_ids"))
    named = [int(p) for p in rules.get("person_ids") or ()]
    if not restricting and not named:
        return 0
    added = [pid for pid in person_ids if pid not in named]
    if added:
        rules["person_ids"] = named + added
        exam.eligibility = rules
        news.exam_changed(exam)
        record(
            "exam.enrol", exam, f"{exam.title}: +{len(added)}", {"person_ids": added}, actor=actor
        )
    return len(added)


def create_makeup(
    exam: Exam,
    actor: User,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    *,
    include_cancelled: bool = False,
) -> Exam:
    """The makeup exam (补考): same paper rules, new draws, for exactly those who failed or
    did not come (and those whose score was cancelled only if asked). One per exam."""
    if exam.makeup_of_id is not None:
        raise ExamError("makeup_of_makeup")
    if db.session.scalar(select(Exam.id).where(Exam.makeup_of_id == exam.id)) is not None:
        raise ExamError("makeup_exists")
    if not closed_for_everybody(exam, now):
        raise ExamError("makeup_before_close")
    if closes_at <= opens_at:
        raise ExamError("override_ends_before_start")
    enrolled = sorted(
        pid
        for pid, state in at_exam(exam, include_cancelled).items()
        if state in ("failed", "absent")
    )
    if not enrolled:
        raise ExamError("makeup_nobody")
    makeup = Exam(
        title=f"{exam.title}（补考）",
        blueprint=dict(exam.blueprint),
        makeup_of_id=exam.id,
        eligibility={"person_ids": enrolled},
        opens_at=opens_at,
        closes_at=closes_at,
        duration_minutes=exam.duration_minutes,
        pass_mark=exam.pass_mark,
        attempts_allowed=1,
        review_policy=exam.review_policy,
        scoring_policy=exam.scoring_policy,
        one_question_per_page=exam.one_question_per_page,
        focus_tracking=exam.focus_tracking,
        focus_loss_limit=exam.focus_loss_limit,
        one_device=exam.one_device,
        allowed_networks=exam.allowed_networks,
        access_code=exam.access_code,
        created_by_id=actor.id,
    )
    db.session.add(makeup)
    db.session.flush()
    record(
        "exam.makeup",
        makeup,
        makeup.title,
        {"of": exam.id, "enrolled": len(enrolled), "include_cancelled": include_cancelled},
        actor=actor,
    )
    return makeup


def attempts_of(person: Person) -> list[Attempt]:
    """Every attempt of the person's account, newest first (their exam file)."""
    return list(
        db.session.scalars(
            select(Attempt)
            .join(User, User.id == Attempt.user_id)
            .where(User.person_id == person.id)
            .order_by(Attempt.started_at.desc())
        )
    )


# --- notices on home pages ------------------------------------------------------------------

#: How far ahead organisers are warned about exams whose paper rules no longer hold.
WARN_AHEAD = timedelta(days=7)
#: How long a result stays among a candidate's notices.
RESULTS_SHOWN = timedelta(days=60)


@dataclass(frozen=True)
class ExamNotice:
    exam: Exam
    terms: Terms
    status: str
    makeup: bool


def candidate_notices(user: User, now: datetime) -> tuple[list[ExamNotice], list[Attempt]]:
    """Exams the candidate may still start or continue (makeups marked), and recent results."""
    exams = db.session.scalars(
        select(Exam)
        .where(Exam.is_published, ~Exam.has_closed(now - WARN_AHEAD))
        .order_by(Exam.opens_at)
    ).all()
    mine = db.session.scalars(select(Attempt).where(Attempt.user_id == user.id)).all()
    notices = []
    for exam in exams:
        if not is_eligible(exam, user):
            continue
        terms = terms_for(exam, user)
        status = terms.status(exam, now)
        used = [a for a in mine if a.exam_id == exam.id]
        under_way = any(a.submitted_at is None for a in used)
        if status == ExamStatus.UPCOMING or (
            status == ExamStatus.OPEN and (under_way or len(used) < terms.attempts_allowed)
        ):
            notices.append(ExamNotice(exam, terms, status, exam.makeup_of_id is not None))
    results = sorted(
        (a for a in mine if a.submitted_at is not None and a.submitted_at > now - RESULTS_SHOWN),
        key=lambda a: a.submitted_at,
        reverse=True,
    )
    return notices, results


def exams_at_risk(user: User, now: datetime) -> list[tuple[Exam, list[str]]]:
    """Published exams opening soon (or open) whose paper rules the active bank can no longer
    serve, with what is missing (in the user's language)."""
    from flask_babel import gettext

    from exam.exams.access import can_manage
    from exam.exams.services import question_pool

    soon = [
        exam
        for exam in db.session.scalars(
            select(Exam)
            .where(
                Exam.is_published,
                ~Exam.has_closed(now),
                Exam.opens_at < now + WARN_AHEAD,
            )
            .order_by(Exam.opens_at)
        )
        if can_manage(user, exam)
    ]
    pool = question_pool() if soon else []
    return [
        (exam, [p.render(gettext) for p in problems])
        for exam in soon
        if (problems := check_bank(exam, pool))
    ]


def person_file_part(person: Person) -> dict:
    """The exams' part of a person's file (``people.signals.person_file``)."""
    return {"attempts": attempts_of(person), "back_to_training": back_to_training(person)}
