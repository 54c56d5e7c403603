"""Courses of lessons (PDF, video, text), the files behind them, and tracked study time."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime, utcnow

course_topic = Table(
    "course_topic",
    db.metadata,
    Column("course_id", ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)
course_sector = Table(
    "course_sector",
    db.metadata,
    Column("course_id", ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True),
)


class LessonKind:
    PDF = "pdf"
    VIDEO = "video"
    TEXT = "text"
    LABELS = {PDF: _l("Document (PDF)"), VIDEO: _l("Video"), TEXT: _l("Text page")}


class Course(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Who must study it: {"roles": [...], "sector_ids": [...], "enterprise_ids": [...],
    #: "person_ids": [...]}; named people always, otherwise every non-empty list must match
    #: (nothing listed: everybody in the register).
    assignment: Mapped[dict] = mapped_column(JSON, default=dict)
    due_on: Mapped[date | None] = mapped_column(Date)
    #: Candidates see a course only once it is published.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    topics = relationship("Topic", secondary=course_topic)
    sectors = relationship("Sector", secondary=course_sector)
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", order_by="Lesson.position", cascade="all, delete-orphan"
    )

    @property
    def required_seconds(self) -> int:
        return sum(lesson.required_seconds for lesson in self.lessons)


class LessonFile(db.Model):
    """A checked upload kept in the lesson storage folder under its content hash."""

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: The name it was uploaded with (shown, never used as a path).
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    #: Pages of a PDF (each also stored as a picture, which every phone shows).
    pages: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class Lesson(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    #: The text of a text page (sanitised HTML).
    body: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("lesson_file.id", ondelete="RESTRICT"))
    #: The study time the lesson asks for (a video's length); no more than this is credited.
    minutes: Mapped[int]

    course: Mapped[Course] = relationship(back_populates="lessons")
    file: Mapped[LessonFile | None] = relationship()

    @property
    def required_seconds(self) -> int:
        return self.minutes * 60


class StudyProgress(db.Model):
    """One person's study of one lesson."""

    __table_args__ = (UniqueConstraint("person_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    #: Study seconds credited to this lesson (never more than the lesson asks for).
    seconds: Mapped[float] = mapped_column(default=0.0)
    #: Where to continue: a video's time or a document's page.
    position: Mapped[float] = mapped_column(default=0.0)
    #: The furthest point of a video watched through; seeking past it is refused.
    furthest: Mapped[float] = mapped_column(default=0.0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lesson: Mapped[Lesson] = relationship()


class StudyDay(db.Model):
    """A person's study time on one day (display time zone): the daily cap and the hours
    credited are computed from it; its clock makes two open tabs count once."""

    __table_args__ = (UniqueConstraint("person_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    #: Study seconds that day, over all lessons (capped when converted into hours).
    seconds: Mapped[float] = mapped_column(default=0.0)
    #: The person's last report from any lesson page, and whether they were studying then.
    last_beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_beat_active: Mapped[bool] = mapped_column(default=False)
