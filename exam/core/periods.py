"""Rows of many people, each over their own span of days, in one statement: what a page of
training ledgers needs when every person's obligation has its own period (so that the number
of statements does not grow with the number of people)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, false, or_

from exam.core.timeutil import display_zone

#: Spans of days, both ends included, and the ids of the people each applies to.
Periods = Mapping[tuple[date, date], Iterable[int]]


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The start of ``first`` and of the day after ``last``, in the display zone."""
    zone = display_zone()
    return datetime.combine(first, time(), zone), datetime.combine(
        last + timedelta(days=1), time(), zone
    )


def within(person, when, periods: Periods, *, timestamps: bool = False):
    """A condition true on the rows of each span's people dated in that span (``when``: a date
    column, or a UTC timestamp column when ``timestamps``)."""
    clauses = []
    for (first, last), ids in periods.items():
        if timestamps:
            start, end = day_bounds(first, last)
            dated = and_(when >= start, when < end)
        else:
            dated = and_(when >= first, when <= last)
        clauses.append(and_(person.in_(list(ids)), dated))
    return or_(*clauses) if clauses else false()
