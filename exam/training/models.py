"""Training sessions, enrolments (with attendance) and hours from outside training."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    or_,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime, utcnow

session_sector = Table(
    "training_session_sector",
    db.metadata,
    Column("session_id", ForeignKey("training_session.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True),
)
session_topic = Table(
    "training_session_topic",
    db.metadata,
    Column("session_id", ForeignKey("training_session.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)


class Mode:
    ONSITE = "onsite"
    ONLINE = "online"
    LABELS = {ONSITE: _l("On site"), ONLINE: _l("Online")}


class TrainingSession(db.Model):
    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    lecturer: Mapped[str] = mapped_column(String(200), default="")
    #: The unit that organises it (e.g. 区应急管理局危化科).
    organising_unit: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Training hours (学时) credited to each attendee.
    hours: Mapped[float]
    mode: Mapped[str] = mapped_column(String(10), default=Mode.ONSITE)
    venue: Mapped[str] = mapped_column(String(200), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    #: Seats (None: no limit); beyond them people join the waiting list.
    capacity: Mapped[int | None]
    #: Who is invited: {"person_ids": [...], "enterprise_ids": [...], "roles": [...]}; named
    #: people always; otherwise every listed condition must hold (empty lists do not restrict,
    #: and a session inviting nobody explicitly is for the people of its sectors).
    invitation: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Signs the sign-in codes shown as a QR code in the room.
    signin_secret: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    sectors = relationship("Sector", secondary=session_sector)
    topics = relationship("Topic", secondary=session_topic)
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )

    @classmethod
    def for_sector(cls, sector_id: int):
        """SQL condition: the session is for ``sector_id``'s enterprises, because it names
        that sector or names none (a session for every sector, as ``is_invited`` reads it)."""
        return or_(cls.sectors.any(id=sector_id), ~cls.sectors.any())


class EnrolmentStatus:
    ENROLLED = "enrolled"
    WAITING = "waiting"
    WITHDRAWN = "withdrawn"
    LABELS = {ENROLLED: _l("Enrolled"), WAITING: _l("Waiting list"), WITHDRAWN: _l("Withdrawn")}


class Enrolment(db.Model):
    """One person's place at a session, and whether they came."""

    __table_args__ = (UniqueConstraint("session_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=EnrolmentStatus.ENROLLED)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when they came (roll call or QR sign-in); only then are hours credited.
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "rollcall" or "qr".
    attended_by: Mapped[str | None] = mapped_column(String(10))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    session: Mapped[TrainingSession] = relationship(back_populates="enrolments")
    person = relationship("Person")


class ExternalTraining(db.Model):
    """Hours from training elsewhere, entered by an organiser with evidence (where the bureau
    allows them: ``ANPEI_EXTERNAL_HOURS``)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[float]
    evidence_name: Mapped[str] = mapped_column(String(200))
    evidence_type: Mapped[str] = mapped_column(String(100))
    evidence: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
