"""Exams, attempts and saved answers."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime, utcnow
from question_bank.model import ScoringPolicy


class ReviewPolicy:
    """When a candidate may see the right answers of their paper."""

    NEVER = "never"
    AFTER_CLOSE = "after_close"
    IMMEDIATELY = "immediately"
    ALL = (NEVER, AFTER_CLOSE, IMMEDIATELY)


class ExamStatus:
    DRAFT = "draft"
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"
    LABELS = {DRAFT: _l("Draft"), UPCOMING: _l("Upcoming"), OPEN: _l("Open"), CLOSED: _l("Closed")}


def window_status(published: bool, opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """Draft, upcoming, open or closed: a window read at ``now``, the window opening at
    ``opens_at`` and closing at ``closes_at`` (``opens_at <= now < closes_at`` is open).

    The one reading of a window, for the exam's own (``Exam.status``) and for a candidate's
    terms, which an override may move; ``Exam``'s hybrids are its SQL twin."""
    if not published:
        return ExamStatus.DRAFT
    if now < opens_at:
        return ExamStatus.UPCOMING
    return ExamStatus.OPEN if now < closes_at else ExamStatus.CLOSED


class Exam(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The paper's composition: {"rules": [...], "fixed": [[id, points]], "shuffle_questions", ...}.
    blueprint: Mapped[dict] = mapped_column(JSON)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(default=60)
    pass_mark: Mapped[float] = mapped_column(default=80.0)
    attempts_allowed: Mapped[int] = mapped_column(default=1)
    #: Who may sit it: {"roles": [...], "sector_ids": [...], "town_ids": [...],
    #: "enterprise_ids": [...], "person_ids": [...]}; an empty list does not restrict.
    eligibility: Mapped[dict] = mapped_column(JSON, default=dict)
    review_policy: Mapped[str] = mapped_column(String(20), default=ReviewPolicy.AFTER_CLOSE)
    scoring_policy: Mapped[str] = mapped_column(String(20), default=ScoringPolicy.ALL_OR_NOTHING)
    one_question_per_page: Mapped[bool] = mapped_column(default=False)
    #: Set when published; an unpublished exam is a draft whatever its window.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: A makeup exam (补考) names the exam it makes up for; an exam has at most one.
    makeup_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("exam.id", ondelete="SET NULL"), unique=True
    )

    # Integrity measures (each a setting of the exam; none may cost a candidate saved answers).
    #: Record when the page loses focus (a tab switch, another app, a call).
    focus_tracking: Mapped[bool] = mapped_column(default=True)
    #: Submit the attempt once the page has lost focus more often than this (None: never).
    focus_loss_limit: Mapped[int | None]
    #: One device per attempt; another device needs an organiser's permission.
    one_device: Mapped[bool] = mapped_column(default=True)
    #: Networks (CIDR, one per line) a candidate must sit it from; empty: anywhere.
    allowed_networks: Mapped[str | None] = mapped_column(Text)
    #: Only people who have done this year's training hours may sit it.
    requires_training: Mapped[bool] = mapped_column(default=False)
    #: A code shown in the exam room that candidates type to start; empty: none.
    access_code: Mapped[str | None] = mapped_column(String(20))
    #: An online course candidates must complete before they may start.
    prerequisite_course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="SET NULL")
    )

    makeup_of: Mapped[Exam | None] = relationship(
        remote_side="Exam.id", foreign_keys=[makeup_of_id]
    )
    prerequisite_course = relationship("Course")

    def status(self, now: datetime) -> str:
        """Derived from the clock, never stored: draft, upcoming, open or closed."""
        return window_status(self.is_published, self.opens_at, self.closes_at, now)

    # State at a moment, in Python and in SQL (``select(Exam).where(Exam.is_open_at(now))``,
    # an alias too). The SQL forms are ``window_status`` read in the database; one test
    # (tests/test_rules_exam_state.py) runs both over the same table of cases.

    @hybrid_property
    def is_published(self) -> bool:
        """Published: no longer a draft, whatever its window."""
        return self.published_at is not None

    @is_published.inplace.expression
    @classmethod
    def _is_published_expression(cls) -> ColumnElement[bool]:
        return cls.published_at.is_not(None)

    @hybrid_method
    def has_opened(self, now: datetime) -> bool:
        """Published and its window begun by ``now`` (open, or closed since)."""
        return self.status(now) in (ExamStatus.OPEN, ExamStatus.CLOSED)

    @has_opened.inplace.expression
    @classmethod
    def _has_opened_expression(cls, now: datetime) -> ColumnElement[bool]:
        return and_(cls.is_published, cls.opens_at <= now)

    @hybrid_method
    def has_closed(self, now: datetime) -> bool:
        """Its window is over by ``now``, published or not (``~Exam.has_closed(now)``: not
        closed yet, ``closes_at > now``)."""
        return self.closes_at <= now

    @has_closed.inplace.expression
    @classmethod
    def _has_closed_expression(cls, now: datetime) -> ColumnElement[bool]:
        return cls.closes_at <= now

    @hybrid_method
    def is_open_at(self, now: datetime) -> bool:
        """Published and ``opens_at <= now < closes_at``: candidates may start (on the exam's
        own terms; an override gives a person another window, see ``examday.Terms``)."""
        return self.status(now) == ExamStatus.OPEN

    @is_open_at.inplace.expression
    @classmethod
    def _is_open_at_expression(cls, now: datetime) -> ColumnElement[bool]:
        return and_(cls.has_opened(now), ~cls.has_closed(now))


class Attempt(db.Model):
    """One sitting of an exam by one candidate, with the paper drawn for them."""

    __table_args__ = (
        UniqueConstraint("exam_id", "user_id", "number"),
        # Reports add up outcomes per exam and person from this index alone (migration 0011).
        Index(
            "ix_attempt_exam_id_user_id",
            "exam_id",
            "user_id",
            postgresql_include=["submitted_at", "cancelled_at", "passed", "score"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: 1 for the first attempt at this exam, 2 for the second …
    number: Mapped[int] = mapped_column(default=1)
    #: The seed the paper was drawn with, so it can be explained and drawn again.
    seed: Mapped[int]
    #: The drawn paper: [{"question_id", "version_id", "points", "option_order"}, ...].
    paper: Mapped[list] = mapped_column(JSON)
    #: The paper as the candidate's page receives it, built once (it never changes during
    #: the attempt) and without any answer key.
    paper_json: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: min(start + duration, window close), set by the server.
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: True when the deadline closed it rather than the candidate.
    auto_submitted: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float | None]
    total_points: Mapped[float | None]
    passed: Mapped[bool | None]
    #: Per-question scores and the per-topic breakdown.
    result: Mapped[dict | None] = mapped_column(JSON)
    #: The device (a random cookie) the attempt is bound to when the exam allows one device.
    device_id: Mapped[str | None] = mapped_column(String(64))
    #: An organiser allowed the next new device to take the attempt over.
    new_device_allowed: Mapped[bool] = mapped_column(default=False)
    device_changes: Mapped[int] = mapped_column(default=0)
    focus_losses: Mapped[int] = mapped_column(default=0)
    #: When the candidate was first shown the right answers (such an attempt is not reopened).
    review_shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The page's last request that was not a save (saves have their own time).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A score cancelled for a violation: kept, but counted in no pass rate.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    exam: Mapped[Exam] = relationship()
    user = relationship("User", foreign_keys=[user_id])

    # "A score that counts", in Python and in SQL (reports, certificates, makeups and the
    # organisers' figures all read it): submitted, and not cancelled for a violation. A
    # submitted attempt is graded in the same transaction, so it has its score.

    @hybrid_property
    def counts(self) -> bool:
        """Its score counts: submitted and not cancelled."""
        return self.submitted_at is not None and self.cancelled_at is None

    @counts.inplace.expression
    @classmethod
    def _counts_expression(cls) -> ColumnElement[bool]:
        return and_(cls.submitted_at.is_not(None), cls.cancelled_at.is_(None))

    @hybrid_property
    def counts_as_pass(self) -> bool:
        """Its score counts, and it passed (what a certificate is issued for)."""
        return self.counts and self.passed is True

    @counts_as_pass.inplace.expression
    @classmethod
    def _counts_as_pass_expression(cls) -> ColumnElement[bool]:
        return and_(cls.counts, cls.passed.is_(True))


class AttemptAnswer(db.Model):
    """The latest answer to one question of an attempt; ``seq`` orders the page's saves."""

    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(index=True)  # item analysis of one question
    response: Mapped[object] = mapped_column(JSON)
    seq: Mapped[int]
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttemptItem(db.Model):
    """One graded question of a submitted attempt, as ``result["items"]`` has it, with the
    candidate's answer as the question is written (a shuffled paper's letters mapped back).

    Written by ``grade()`` (one DELETE and one multi-row INSERT), removed when the attempt is
    reopened; a cancelled attempt keeps its rows (reports leave it out through the attempt).
    Item analysis adds these rows up instead of taking every attempt's JSON apart.
    """

    __table_args__ = (
        # One question over all its uses; regrading finds the attempts that had the question.
        Index("ix_attempt_item_question_id", "question_id"),
    )

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    score: Mapped[float]
    points: Mapped[float]
    #: What the candidate answered, in a form to group by: the letters as the question is
    #: written ("B", "ACD"), "true" / "false", "" for a fill-in answer (its text is not kept
    #: here) or an answer of no usable shape; None when unanswered.
    answer: Mapped[str | None] = mapped_column(String(20))


class AttemptEvent(db.Model):
    """What happened to an attempt besides answers: focus losses, devices, an organiser's action."""

    FOCUS_LOST = "focus_lost"
    DEVICE_BLOCKED = "device_blocked"
    DEVICE_CHANGED = "device_changed"
    DEVICE_ALLOWED = "device_allowed"
    EXTENDED = "extended"
    REOPENED = "reopened"
    CANCELLED = "cancelled"
    FORCED_SUBMIT = "forced_submit"
    LABELS = {
        FOCUS_LOST: _l("Left the exam page"),
        DEVICE_BLOCKED: _l("Another device was refused"),
        DEVICE_CHANGED: _l("Continued on another device"),
        DEVICE_ALLOWED: _l("Another device allowed"),
        EXTENDED: _l("Time extended"),
        REOPENED: _l("Reopened"),
        CANCELLED: _l("Score cancelled"),
        FORCED_SUBMIT: _l("Submitted: the page lost focus too often"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The organiser who acted (None for what the candidate's page reported).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[dict | None] = mapped_column(JSON)


class ExamOverride(db.Model):
    """Different terms for one person, or for everyone of an enterprise or a town: another
    window, extra minutes, extra attempts (a disability, a town whose network failed)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE")
    )
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id", ondelete="CASCADE"))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    person = relationship("Person")
    enterprise = relationship("Enterprise")
    town = relationship("Town")


class DrawnPaper(db.Model):
    """A paper drawn ahead of the exam's start burst (when it is published, and by the
    scheduler until it closes), waiting for a candidate's start to claim it. A paper drawn
    from a bank or an exam that has changed since never matches ``drawn_for`` again: it is
    never served, and the scheduler draws afresh."""

    __tablename__ = "drawn_paper"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    #: What the paper was drawn from (``services.paper_key``): the bank's fingerprint and the
    #: exam's blueprint, title and layout, hashed.
    drawn_for: Mapped[str] = mapped_column(String(64))
    #: As on ``Attempt``: the seed, the stored paper and the page's JSON.
    seed: Mapped[int]
    paper: Mapped[list] = mapped_column(JSON)
    paper_json: Mapped[str] = mapped_column(Text)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
