"""Accounts, roles and the login-attempt ledger used for throttling."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # the register sits above accounts; the mapper finds its classes by name
    from exam.people.models import Enterprise, Person, Sector, Town


class UserRole:
    ADMIN = "admin"  # bureau administrator
    ORGANISER = "organiser"  # training organiser
    CONTACT = "contact"  # enterprise contact (the enterprise's safety officer)
    CANDIDATE = "candidate"  # a person who sits exams

    ALL = (ADMIN, ORGANISER, CONTACT, CANDIDATE)
    #: Roles that manage things within their scope: exams, questions, courses, training
    #: sessions, screenings, certificates, reports.
    MANAGERS = (ADMIN, ORGANISER)
    #: Roles that work on the register: managers and enterprise contacts.
    STAFF = (ADMIN, ORGANISER, CONTACT)
    LABELS = {
        ADMIN: _l("Bureau administrator"),
        ORGANISER: _l("Training organiser"),
        CONTACT: _l("Enterprise contact"),
        CANDIDATE: _l("Candidate"),
    }

    @classmethod
    def label(cls, role: str) -> str:
        return str(cls.LABELS.get(role, role))


user_scope_sector = Table(
    "user_scope_sector",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True),
)
user_scope_town = Table(
    "user_scope_town",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("town_id", ForeignKey("town.id", ondelete="CASCADE"), primary_key=True),
)


def new_session_key() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name: chosen for staff, the ID number for candidates. Stored lower-case.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    role: Mapped[str] = mapped_column(String(20), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), unique=True)
    #: The enterprise an enterprise contact looks after.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    #: A one-time password handed out by an administrator or an import, kept only until
    #: the user sets their own (admission notices print it); never a lasting secret.
    initial_password: Mapped[str | None] = mapped_column(String(32))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    disabled: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person | None] = relationship("Person")
    enterprise: Mapped[Enterprise | None] = relationship("Enterprise")
    #: An organiser limited to these sectors (empty: all sectors).
    scope_sectors: Mapped[list[Sector]] = relationship("Sector", secondary=user_scope_sector)
    #: An organiser limited to these towns (empty: all towns).
    scope_towns: Mapped[list[Town]] = relationship("Town", secondary=user_scope_town)

    #: The key of the login session this object was loaded for or signed in with (not a
    #: column): Flask-Login stores ``get_id()`` in the session cookie.
    session_key = ""

    def get_id(self) -> str:
        return f"{self.id}:{self.session_key}"

    @property
    def is_active(self) -> bool:
        return not self.disabled

    @property
    def role_label(self) -> str:
        return UserRole.label(self.role)

    @property
    def name(self) -> str:
        if self.person is not None:
            return self.person.name
        return self.display_name or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN

    @property
    def is_scoped(self) -> bool:
        return self.role == UserRole.ORGANISER and bool(self.scope_sectors or self.scope_towns)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class LoginAttempt(db.Model):
    """One login attempt; failures within the window throttle the account and the address."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: What was typed as the login, normalised (so unknown names are throttled too).
    login_key: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(default=False)


class LoginSession(db.Model):
    """One signed-in browser: the session cookie names it (``user id:key``). Logging out
    deletes it, so a cookie copied before no longer works; deleting all of a user's rows
    signs them out everywhere."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_session_key)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Where and with what the user signed in, to recognise the device in the list.
    address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
