"""Topics, questions, their versions, and practice records."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime, utcnow
from exam.people.models import Sector
from question_bank.model import QuestionData, Usage


class TopicLevel:
    AREA = "area"  # one of the eight grips
    MEASURE = "measure"  # one of the 20 measures, as the bureau enters them
    POINT = "point"  # a knowledge point under a measure
    ALL = (AREA, MEASURE, POINT)
    CHILD = {AREA: MEASURE, MEASURE: POINT}
    LABELS = {AREA: _l("Area"), MEASURE: _l("Measure"), POINT: _l("Point")}


class Topic(db.Model):
    """A node of the topic tree (areas → measures → points): data the bureau edits."""

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    #: Short stable key used by imports, e.g. ``G3`` for the third grip.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Topic | None] = relationship(remote_side="Topic.id", back_populates="children")
    children: Mapped[list[Topic]] = relationship(
        back_populates="parent", order_by="Topic.sort_order"
    )

    @property
    def path(self) -> str:
        """The names from the area down, e.g. 抓教育培训 › 警示教育."""
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " › ".join(reversed(names))

    def subtree_ids(self) -> list[int]:
        ids, stack = [], [self]
        while stack:
            node = stack.pop()
            ids.append(node.id)
            stack.extend(node.children)
        return ids


question_topic = Table(
    "question_topic",
    db.metadata,
    Column("question_id", ForeignKey("question.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True, index=True),
)
question_sector = Table(
    "question_sector",
    db.metadata,
    Column("question_id", ForeignKey("question.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class BankVersion(db.Model):
    """One row counting the changes to what papers are drawn from (questions' status, use and
    current version, their topics and sectors, the topic tree).

    Database triggers (migration 0021) add one in the same transaction as any such change,
    whichever host or statement makes it, so a process that keeps the question pool knows
    it is stale as soon as the change commits: no clock or aggregate is trusted for that.
    """

    __tablename__ = "bank_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class QuestionStatus:
    DRAFT = "draft"
    REVIEWED = "reviewed"
    ACTIVE = "active"  # the only status exams draw from
    RETIRED = "retired"
    ALL = (DRAFT, REVIEWED, ACTIVE, RETIRED)
    LABELS = {
        DRAFT: _l("Draft"),
        REVIEWED: _l("Reviewed"),
        ACTIVE: _l("Active"),
        RETIRED: _l("Retired"),
    }


USAGE_LABELS = {
    Usage.BOTH: _l("Practice and exams"),
    Usage.PRACTICE: _l("Practice only"),
    Usage.EXAM: _l("Exams only"),
}


class Question(db.Model):
    """A question of the bank; what it says lives in its versions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default=QuestionStatus.DRAFT, index=True)
    #: Where it may appear: practice and exams, practice only, exams only.
    usage: Mapped[str] = mapped_column(String(10), default=Usage.BOTH, index=True)
    #: The source system's key (Moodle id, the bureau's own number), for re-imports.
    external_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_version.id", use_alter=True, name="fk_question_current_version")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    current: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question",
        foreign_keys="QuestionVersion.question_id",
        order_by="QuestionVersion.number.desc()",
        cascade="all, delete-orphan",
    )
    topics: Mapped[list[Topic]] = relationship(secondary=question_topic, order_by="Topic.code")
    sectors: Mapped[list[Sector]] = relationship(
        secondary=question_sector, order_by="Sector.sort_order"
    )

    @property
    def status_label(self) -> str:
        return str(QuestionStatus.LABELS[self.status])


class QuestionVersion(db.Model):
    """One wording of a question. Never changed once made: papers point at the version sat."""

    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    #: Sanitised rich text (a small safe subset of HTML).
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON, default=list)
    #: The kind's answer form: "B", "ABD", true/false, or [[accepted, ...], ...] per blank.
    answer: Mapped[object] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    difficulty: Mapped[str] = mapped_column(String(10), index=True)
    #: Law and article, e.g. 《中华人民共和国安全生产法》第二十一条.
    legal_source: Mapped[str] = mapped_column(String(300), default="")
    #: Person roles the question suits; empty means all.
    roles: Mapped[list] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    question: Mapped[Question] = relationship(back_populates="versions", foreign_keys=[question_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    def content(self) -> QuestionData:
        """What a candidate sees and what counts as right (kind, stem, options, answer),
        without loading the question: enough for the question's kind to work with."""
        return QuestionData(
            kind=self.kind, stem=self.stem, options=tuple(self.options or ()), answer=self.answer
        )

    def data(self) -> QuestionData:
        """This version as the pure domain sees it."""
        question = self.question
        return QuestionData(
            kind=self.kind,
            stem=self.stem,
            options=tuple(self.options),
            answer=self.answer,
            explanation=self.explanation,
            difficulty=self.difficulty,
            legal_source=self.legal_source,
            topics=tuple(t.code for t in question.topics) if question else (),
            sectors=tuple(s.code for s in question.sectors) if question else (),
            roles=tuple(self.roles or ()),
            usage=question.usage if question else Usage.BOTH,
            external_key=(question.external_key or "") if question else "",
        )


class PracticeAnswer(db.Model):
    """One answer a candidate gave while practising."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_version.id", ondelete="CASCADE"))
    response: Mapped[object] = mapped_column(JSON)
    correct: Mapped[bool]
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[QuestionVersion] = relationship()


class WrongAnswer(db.Model):
    """A question in a candidate's wrong-answer list (错题本) until they get it right there."""

    __table_args__ = (UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    times_wrong: Mapped[int] = mapped_column(default=1)
    last_wrong_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship()


class QuestionMedia(db.Model):
    """An image used in questions, stored in the database so every app host serves it.

    Named by its content hash: the same picture uploaded twice is stored once, and its
    address never changes, so browsers may cache it for good.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
