"""SQL building blocks shared by the reports: local dates and months of UTC timestamps on both
backends, and the bounds of a period. (Who an exam is for, in SQL: ``exam.exams.eligibility``.)
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date, String

from exam.core.timeutil import display_zone


class local_date(FunctionElement):  # noqa: N801 - a SQL function's name
    """The date of a stored UTC timestamp in the display zone (what users call that day)."""

    type = Date()
    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)


class local_month(FunctionElement):  # noqa: N801 - a SQL function's name
    """The month ('2026-03') of a stored UTC timestamp in the display zone."""

    type = String()
    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)


def _zone() -> str:
    return str(display_zone())


def _pg_local(element, compiler, **kw) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"timezone('{_zone()}', timezone('UTC', {column}))"


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    return f"CAST({_pg_local(element, compiler, **kw)} AS DATE)"


@compiles(local_month, "postgresql")
def _local_month_pg(element, compiler, **kw):
    return f"to_char({_pg_local(element, compiler, **kw)}, 'YYYY-MM')"


def _sqlite_shift() -> str:
    # SQLite knows no zones: the zone's offset now (China keeps no summer time).
    offset = datetime.now(display_zone()).utcoffset() or timedelta(0)
    return f"'{int(offset.total_seconds() // 60):+d} minutes'"


@compiles(local_date)
def _local_date_sqlite(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"date({column}, {_sqlite_shift()})"


@compiles(local_month)
def _local_month_sqlite(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"strftime('%Y-%m', {column}, {_sqlite_shift()})"


def period_bounds(
    date_from: date | None, date_to: date | None
) -> tuple[datetime | None, datetime | None]:
    """The UTC instants a period of local dates (both days included) starts and ends."""
    zone = display_zone()
    start = datetime.combine(date_from, time(), tzinfo=zone) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(), tzinfo=zone) if date_to else None
    return start, end


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The start of ``year`` and of the next, in the display zone."""
    start, end = period_bounds(date(year, 1, 1), date(year, 12, 31))
    return start, end
