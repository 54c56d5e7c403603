"""Time helpers: everything is stored in UTC and shown in the configured zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC on every backend and read back as aware UTC.

    SQLite keeps no zone, so storing naive UTC everywhere makes both backends agree.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def display_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def local_today() -> date:
    """Today's date in the display time zone (what a user calls 'today')."""
    return utcnow().astimezone(display_zone()).date()


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format an aware UTC timestamp in the display time zone."""
    if value is None:
        return ""
    return value.astimezone(display_zone()).strftime(fmt)


def to_form_time(value: datetime) -> datetime:
    """A stored (UTC) time as the naive local time a datetime-local form field shows."""
    return value.astimezone(display_zone()).replace(tzinfo=None)


def from_form_time(value: datetime) -> datetime:
    """The naive local time a datetime-local form field gives, as a UTC time to store."""
    return value.replace(tzinfo=display_zone()).astimezone(UTC)
