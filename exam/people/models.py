"""Enterprises, people, sectors and towns: the register every feature builds on."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime, utcnow


class PersonRole:
    """The post a person holds in their enterprise (the glossary of the domain)."""

    PRINCIPAL_LEADER = "principal_leader"  # 主要负责人
    SAFETY_DIRECTOR = "safety_director"  # 安全总监
    SAFETY_MANAGER = "safety_manager"  # 安全生产管理人员

    ALL = (PRINCIPAL_LEADER, SAFETY_DIRECTOR, SAFETY_MANAGER)
    LABELS = {
        PRINCIPAL_LEADER: _l("Principal leader"),
        SAFETY_DIRECTOR: _l("Safety director"),
        SAFETY_MANAGER: _l("Safety manager"),
    }
    #: The Chinese names used in spreadsheets, whatever the interface language.
    CHINESE = {
        PRINCIPAL_LEADER: "主要负责人",
        SAFETY_DIRECTOR: "安全总监",
        SAFETY_MANAGER: "安全生产管理人员",
    }

    @classmethod
    def label(cls, role: str) -> str:
        return str(cls.LABELS.get(role, role))

    @classmethod
    def choices(cls):
        return [(r, cls.LABELS[r]) for r in cls.ALL]


enterprise_sector = Table(
    "enterprise_sector",
    db.metadata,
    Column("enterprise_id", ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True),
)


class Sector(db.Model):
    """An industry sector; the list is data the bureau edits."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key used by code and imports in English (e.g. ``hazardous_chemicals``).
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    name_en: Mapped[str] = mapped_column(String(80), default="")
    #: High-risk sectors (高危行业) carry the stricter training-hour requirements.
    high_risk: Mapped[bool] = mapped_column(default=False)
    #: Enterprises in this sector must have a safety director (安全总监; the rule:
    #: ``exam.people.directors``).
    requires_safety_director: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)

    def display_name(self, locale: str | None = None) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    def __repr__(self) -> str:
        return f"<Sector {self.code}>"


class Town(db.Model):
    """A town or street (镇/街道) of the district."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Town {self.name}>"


class Enterprise(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    #: 统一社会信用代码, validated with its check character.
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(60), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    #: Number of employees (从业人员数); None when unknown. A unit of 300 or more must have a
    #: safety director (``exam.people.directors``).
    employee_count: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    town: Mapped[Town] = relationship()
    sectors: Mapped[list[Sector]] = relationship(
        secondary=enterprise_sector, order_by="Sector.sort_order"
    )
    people: Mapped[list[Person]] = relationship(
        back_populates="enterprise", order_by="Person.role, Person.name"
    )

    @property
    def high_risk(self) -> bool:
        return any(s.high_risk for s in self.sectors)

    def __repr__(self) -> str:
        return f"<Enterprise {self.credit_code}>"


class Person(db.Model):
    """An enterprise leader or safety manager: a candidate of the exams."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    #: 居民身份证号码, validated with its MOD 11-2 check character; upper-case X.
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    mobile: Mapped[str] = mapped_column(String(20), default="", index=True)
    role: Mapped[str] = mapped_column(String(32))
    #: The current enterprise; None once the person has left it.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    appointed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    enterprise: Mapped[Enterprise | None] = relationship(back_populates="people")
    employments: Mapped[list[Employment]] = relationship(
        back_populates="person", order_by="Employment.id.desc()", cascade="all, delete-orphan"
    )

    @property
    def role_label(self) -> str:
        return PersonRole.label(self.role)

    @property
    def masked_id_number(self) -> str:
        from exam.core.identifiers import mask_id_number

        return mask_id_number(self.id_number)

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.role}>"


class Employment(db.Model):
    """One stint of a person in a post at an enterprise: the kept history."""

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    started_on: Mapped[date | None]
    #: None while the stint is current.
    ended_on: Mapped[date | None]
    #: Why it ended: 'transferred', 'left' or 'role_changed'.
    end_reason: Mapped[str] = mapped_column(String(20), default="")

    person: Mapped[Person] = relationship(back_populates="employments")
    enterprise: Mapped[Enterprise] = relationship()

    @property
    def role_label(self) -> str:
        return PersonRole.label(self.role)
