"""Where a person stands: at one exam, and on the way to their certificate (the 100% tracker's
statuses), in Python and, for the reports, as a SQL ``CASE`` over the same facts.

At one exam (``at_exam``, what a makeup is made of): ``passed``, ``failed``, ``cancelled`` (every
score they had there was cancelled) or ``absent``, for the people it expects
(``exam.exams.eligibility.expected_of``: the rule of its roster and its rates) and anybody
else who sat it.

Overall, the first that holds:

1. ``passed``: a current certificate valid beyond the renewal notice (or, while it is being
   issued, a latest pass within the certificate's validity, unless a certificate was revoked
   since);
2. ``expiring``: a current certificate ending within the notice;
3. ``makeup_pending``: invited to a makeup exam that has not closed, and not started there;
4. ``back_to_training``: the latest score that counts failed a makeup (before ``scheduled``: an
   exam open to everybody must not hide who goes back to training);
5. ``scheduled``: eligible for an exam that has not closed, and not started there;
6. ``makeup_pending``: the latest score that counts failed an exam whose makeup is not held yet;
7. ``failed``: the latest score that counts failed, and the makeup is over;
8. ``not_scheduled``: none of these (never sat, absent, or a pass long expired).

``standing`` decides it from ``Facts`` in Python; ``standing_case`` is its SQL twin over columns
of the same names; ``result_times`` and ``result_columns`` turn a latest score into the facts
the two compare. ``tests/test_rules_twins.py`` runs both forms over one table of cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, or_, select

from exam.auth.models import User
from exam.core.extensions import db
from exam.core.timeutil import display_zone, utcnow
from exam.exams.eligibility import expected_of
from exam.exams.models import Attempt, Exam
from exam.people.models import Person

STATUSES = (
    "not_scheduled",
    "scheduled",
    "failed",
    "makeup_pending",
    "back_to_training",
    "expiring",
    "passed",
)
#: The statuses of people who hold (or are being issued) a certificate.
PASSED = ("passed", "expiring")
#: What each status reads as: the one home of these words, used by every renderer (the
#: tracker page, its .xlsx and its PDF), so a status reads the same wherever it is printed.
LABELS = {
    "not_scheduled": _l("Not scheduled"),
    "scheduled": _l("Scheduled"),
    "failed": _l("Failed, makeup over"),
    "makeup_pending": _l("Makeup pending"),
    "back_to_training": _l("Back to training"),
    "expiring": _l("Certificate expiring"),
    "passed": _l("Passed"),
}


# --- at one exam ---------------------------------------------------------------------------


def at_exam(exam: Exam, include_cancelled: bool = False) -> dict[int, str]:
    """Person id -> passed, failed, absent or cancelled at ``exam`` (its own attempts only;
    ``include_cancelled``: a cancelled score counts as failed), for the people it expects and
    anybody who sat it (as the exam's candidacies count them)."""
    attempts: dict[int, list[Attempt]] = {}
    for attempt in db.session.scalars(select(Attempt).where(Attempt.exam_id == exam.id)):
        attempts.setdefault(attempt.user_id, []).append(attempt)
    users = {user.id: user for user in expected_of(exam)}
    sat = set(attempts) - set(users)
    if sat:
        users.update(
            (user.id, user)
            for user in db.session.scalars(
                select(User).where(User.id.in_(sat), User.person_id.is_not(None))
            )
        )
    result = {}
    for user in users.values():
        mine = [a for a in attempts.get(user.id, []) if a.submitted_at is not None]
        counted = [a for a in mine if a.counts]
        if any(a.counts_as_pass for a in counted):
            result[user.person_id] = "passed"
        elif counted:
            result[user.person_id] = "failed"
        elif mine:
            result[user.person_id] = "failed" if include_cancelled else "cancelled"
        else:
            result[user.person_id] = "absent"
    return result


# --- overall -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Horizon:
    """The dates a standing is judged against."""

    today: date
    #: A certificate ending before this day is expiring.
    soon: date
    #: A pass since this instant stands for the certificate being issued.
    recent: datetime


def horizon(now: datetime) -> Horizon:
    """The horizon at ``now`` under the configured notice and validity."""
    config = current_app.config
    today = now.astimezone(display_zone()).date()
    return Horizon(
        today,
        today + timedelta(days=config["CERTIFICATE_NOTICE_DAYS"]),
        now - timedelta(days=365 * config["CERTIFICATE_YEARS"]),
    )


@dataclass(frozen=True)
class Facts:
    """What a person's standing is decided from (the columns ``standing_case`` reads)."""

    #: When their latest score that counts was given; then, when that score was a pass, a
    #: failed makeup, a failed exam whose makeup is still to come, or one whose makeup is
    #: over (``result_times``: at most one of the four is set).
    last_at: datetime | None = None
    pass_at: datetime | None = None
    makeup_fail_at: datetime | None = None
    fail_open_at: datetime | None = None
    fail_over_at: datetime | None = None
    #: The last day of their current certificate.
    certificate_until: date | None = None
    #: When a certificate of theirs was last revoked.
    revoked_at: datetime | None = None
    #: The makeup exam, and the other exam, they are invited to and have not started.
    upcoming_makeup: int | None = None
    upcoming_exam: int | None = None


def _same(when: datetime | None, last_at: datetime | None) -> bool:
    # As SQL compares: a missing time equals nothing.
    return when is not None and last_at is not None and when == last_at


def _failed_makeup_last(f: Facts) -> bool:
    return _same(f.makeup_fail_at, f.last_at)


def standing(facts: Facts, at: Horizon) -> str:
    """The person's status (one of ``STATUSES``; ``standing_case`` in SQL)."""
    f, until = facts, facts.certificate_until
    if until is not None and until > at.soon:
        return "passed"
    if until is not None and until >= at.today:
        return "expiring"
    if (
        _same(f.pass_at, f.last_at)
        and f.pass_at >= at.recent
        and (f.revoked_at is None or f.revoked_at < f.pass_at)
    ):
        return "passed"  # a pass whose certificate is still to come (not one revoked since)
    if f.upcoming_makeup is not None:
        return "makeup_pending"
    if _failed_makeup_last(f):
        return "back_to_training"
    if f.upcoming_exam is not None:
        return "scheduled"
    if _same(f.fail_open_at, f.last_at):
        return "makeup_pending"
    if _same(f.fail_over_at, f.last_at):
        return "failed"
    return "not_scheduled"


def standing_case(c, at: Horizon):
    """The SQL twin of ``standing``: a CASE over ``c``, columns named as the fields of
    ``Facts`` (a subquery's ``.c``)."""
    return case(
        (c.certificate_until > at.soon, "passed"),
        (c.certificate_until >= at.today, "expiring"),
        (
            and_(
                c.pass_at == c.last_at,
                c.pass_at >= at.recent,
                or_(c.revoked_at.is_(None), c.revoked_at < c.pass_at),
            ),
            "passed",
        ),
        (c.upcoming_makeup.is_not(None), "makeup_pending"),
        (c.makeup_fail_at == c.last_at, "back_to_training"),
        (c.upcoming_exam.is_not(None), "scheduled"),
        (c.fail_open_at == c.last_at, "makeup_pending"),
        (c.fail_over_at == c.last_at, "failed"),
        else_="not_scheduled",
    )


def result_times(
    submitted_at: datetime,
    passed: bool,
    makeup: bool,
    makeup_closes_at: datetime | None,
    now: datetime,
) -> dict[str, datetime | None]:
    """The facts a latest score gives: when it was a pass, a failed makeup, a failed exam
    whose makeup (closing at ``makeup_closes_at``; None: not held) is to come or over."""
    failed, original = passed is not True, not makeup
    to_come = makeup_closes_at is None or makeup_closes_at > now
    return {
        "last_at": submitted_at,
        "pass_at": submitted_at if passed is True else None,
        "makeup_fail_at": submitted_at if failed and makeup else None,
        "fail_open_at": submitted_at if failed and original and to_come else None,
        "fail_over_at": submitted_at if failed and original and not to_come else None,
    }


def result_columns(submitted_at, passed, exam, makeup, now: datetime) -> list:
    """The SQL twin of ``result_times``: labelled columns over a latest score
    (``submitted_at``, ``passed``), its ``exam`` and that exam's ``makeup`` (outer-joined)."""
    failed, original = passed.is_not(True), exam.makeup_of_id.is_(None)

    def when(condition):
        return case((condition, submitted_at))

    return [
        submitted_at.label("last_at"),
        when(passed.is_(True)).label("pass_at"),
        when(and_(failed, exam.makeup_of_id.is_not(None))).label("makeup_fail_at"),
        when(and_(failed, original, or_(makeup.id.is_(None), ~makeup.has_closed(now)))).label(
            "fail_open_at"
        ),
        when(and_(failed, original, makeup.has_closed(now))).label("fail_over_at"),
    ]


def latest_result(person: Person) -> tuple[Attempt, Exam] | None:
    """The person's latest score that counts (submitted, not cancelled), with its exam; on
    ties a pass before a failed makeup before a failed exam (as the reports keep it)."""
    rows = db.session.execute(
        select(Attempt, Exam)
        .join(Exam, Exam.id == Attempt.exam_id)
        .join(User, User.id == Attempt.user_id)
        .where(
            User.person_id == person.id,
            Attempt.counts,
        )
    ).all()
    if not rows:
        return None
    attempt, exam = max(
        rows,
        key=lambda r: (
            r[0].submitted_at,
            r[0].passed is True,
            r[1].makeup_of_id is not None,
            r[0].id,
        ),
    )
    return attempt, exam


def back_to_training(person: Person) -> list[Exam]:
    """The makeup exam whose failure is the person's latest score that counts (a list: none
    or one): they go back to training (the tracker's ``back_to_training``, unless a current
    certificate or another makeup to sit comes first)."""
    latest = latest_result(person)
    if latest is None:
        return []
    attempt, exam = latest
    makeup = exam.makeup_of_id is not None
    facts = Facts(**result_times(attempt.submitted_at, attempt.passed, makeup, None, utcnow()))
    return [exam] if _failed_makeup_last(facts) else []
