"""The film library, screenings and named attendance.

Person-times (人次) of a screening: when a headcount is given it is the TOTAL present, the
named people included, so a screening counts ``max(cadres + workers, number named)`` and
nobody is counted twice. Named people are also credited the screening's hours (学时) in
their file. See ``exam.screenings.services.count_person_times``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime, utcnow

#: Limits of a screening, checked by the service and the forms, and kept by the database.
MAX_HOURS = 8.0
MAX_HEADCOUNT = 100_000
#: Lines of ID numbers or mobiles taken in one go.
MAX_LINES = 500
#: Screenings are recorded from this year on, and at most this far ahead.
EARLIEST_YEAR = 2000
LATEST_AHEAD = timedelta(days=366)
MAX_FILM_MINUTES = 600

screening_film = Table(
    "screening_film",
    db.metadata,
    Column("screening_id", ForeignKey("screening.id", ondelete="CASCADE"), primary_key=True),
    Column("film_id", ForeignKey("film.id"), primary_key=True, index=True),
)


class Film(db.Model):
    """A warning-education film in the library (e.g. 《生命至上 警钟长鸣》)."""

    __table_args__ = (CheckConstraint("duration_minutes > 0", name="duration_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    #: The accident the film shows (its usual name, with date and place), or a theme.
    accident: Mapped[str] = mapped_column(String(300), default="")
    duration_minutes: Mapped[int]
    #: Who made or distributed it (e.g. 应急管理部宣传教育中心).
    source: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Screening(db.Model):
    """One showing of one or more films to an audience, at a time and place."""

    __table_args__ = (
        CheckConstraint(f"hours >= 0 AND hours <= {MAX_HOURS}", name="hours_range"),
        CheckConstraint(
            f"headcount_cadres IS NULL OR (headcount_cadres >= 0 AND headcount_cadres <= {MAX_HEADCOUNT})",
            name="cadres_range",
        ),
        CheckConstraint(
            f"headcount_workers IS NULL OR (headcount_workers >= 0 AND headcount_workers <= {MAX_HEADCOUNT})",
            name="workers_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    venue: Mapped[str] = mapped_column(String(200), default="")
    #: The unit that held it (e.g. 区应急管理局、柳泉镇人民政府).
    organising_unit: Mapped[str] = mapped_column(String(200), default="")
    #: Who it was for, as free text (e.g. 各镇街、园区企业主要负责人及一线职工).
    audience: Mapped[str] = mapped_column(String(300), default="")
    #: Training hours (学时) credited to each named attendee.
    hours: Mapped[float] = mapped_column(default=1.0)
    #: Cadres (干部) present, named people included; None: not counted.
    headcount_cadres: Mapped[int | None]
    #: Workers (职工) present, named people included; None: not counted.
    headcount_workers: Mapped[int | None]
    #: The sector and town/street it was held for, for reports and organisers' scope.
    sector_id: Mapped[int | None] = mapped_column(
        ForeignKey("sector.id", ondelete="SET NULL"), index=True
    )
    town_id: Mapped[int | None] = mapped_column(
        ForeignKey("town.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    films: Mapped[list[Film]] = relationship(secondary=screening_film, order_by=Film.title)
    sector = relationship("Sector")
    town = relationship("Town")
    attendances: Mapped[list[ScreeningAttendance]] = relationship(
        back_populates="screening", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def headcount(self) -> int | None:
        """Cadres and workers counted in the room (named people included), or None."""
        if self.headcount_cadres is None and self.headcount_workers is None:
            return None
        return (self.headcount_cadres or 0) + (self.headcount_workers or 0)


class ScreeningAttendance(db.Model):
    """A named person who attended a screening: credited its hours in their file."""

    __table_args__ = (UniqueConstraint("screening_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: No index of its own: the unique constraint's index starts with it.
    screening_id: Mapped[int] = mapped_column(ForeignKey("screening.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    screening: Mapped[Screening] = relationship(back_populates="attendances")
    person = relationship("Person")
