"""Exams, attempts and saved answers."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.extensions import db
from exam.timeutil import UTCDateTime, utcnow
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

    def status(self, now: datetime) -> str:
        """Derived from the clock, never stored: draft, upcoming, open or closed."""
        if self.published_at is None:
            return ExamStatus.DRAFT
        if now < self.opens_at:
            return ExamStatus.UPCOMING
        return ExamStatus.OPEN if now < self.closes_at else ExamStatus.CLOSED


class Attempt(db.Model):
    """One sitting of an exam by one candidate, with the paper drawn for them."""

    __table_args__ = (UniqueConstraint("exam_id", "user_id", "number"),)

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

    exam: Mapped[Exam] = relationship()
    user = relationship("User")


class AttemptAnswer(db.Model):
    """The latest answer to one question of an attempt; ``seq`` orders the page's saves."""

    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int]
    response: Mapped[object] = mapped_column(JSON)
    seq: Mapped[int]
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
