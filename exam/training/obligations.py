"""The training a person owes, from the day they took their post: in Python for one person (the
ledger, the file, the shortfall list) and in SQL for everybody at once (the reports). One
definition, two forms side by side; ``tests/test_obligations.py`` (and
``tests/test_rules_twins.py``) run both over one table of cases.

The rule (生产经营单位安全培训规定, art. 9; hours configurable as ``HOURS_INITIAL_*`` and
``HOURS_ANNUAL_*``, the period as ``INITIAL_TRAINING_MONTHS``):

- A post is a stint of the employment history (``Employment``): an enterprise and a post from the
  day of appointment (``started_on``) until the day it ended (``ended_on``, the first day out of
  it). Every appointment — a first post, a move to another enterprise, a new post — starts an
  **initial training** obligation: 48 hours in a high-risk sector, else 32, due within
  ``INITIAL_TRAINING_MONTHS`` (6) months of the appointment (deadline: the same day of the month,
  or the month's last day; appointed 2026-12-20 → due 2027-06-20).
- **Retraining** (16 / 12 hours) is owed for every calendar year after the year in which the
  initial period ends: the law says "每年", and the bureau reports by calendar year. The first
  of these years also takes the hours done between the initial deadline and the end of its year,
  so that no hour falls between two obligations.
- The obligation **in force in a year** is that of the post held on the year's last day (the
  latest stint by id, as the history is written, covering 31 December; for the current year,
  the post held now): its initial one while the year is not after the one its initial period
  ends in, else that year's retraining. No such post: nothing is owed (not yet, or no longer, in
  a post — who leaves during a year owes nothing more for it). A stint with no appointment date
  owes retraining every year.
- The hours owed follow the enterprise of that stint (high-risk: any of its sectors is; sectors
  are not kept historically), not the person's current one.
- An hour counts toward the obligation of the period it falls in (``period_of``): on a day
  inside a stint's initial period (its appointment to its deadline, while the stint lasts) it
  counts to that initial obligation — identified by the stint, period ``-stint id`` — otherwise
  to the retraining of its year (or of the next year, between a deadline and the end of its
  year). Late initial training therefore counts to retraining, and the person stays flagged as
  not trained in time (``exam.reports.queries.obligations``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Date, Integer, and_, case, cast, extract, func, literal, or_, select
from sqlalchemy.orm import aliased

from exam.people.models import Employment, Person, Sector, enterprise_sector


@dataclass(frozen=True)
class Requirement:
    """The obligation in force in a year: how many hours, due when, and which days count."""

    hours: float
    initial: bool
    high_risk: bool
    #: The last day to have done them (the initial deadline, or 31 December).
    due_on: date
    #: The days whose hours count toward it (inclusive).
    counts_from: date
    counts_to: date
    #: Its key in the kept hours (``PersonHours.period``): ``-stint id`` or the year.
    period: int


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the last day of that month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months() -> int:
    return int(current_app.config["INITIAL_TRAINING_MONTHS"])


def initial_hours(high_risk: bool) -> float:
    """The initial training hours owed in a high-risk sector or another one."""
    return _hours(True, high_risk)


def _hours(initial: bool, high_risk: bool) -> float:
    key = ("INITIAL" if initial else "ANNUAL") + ("_HIGH_RISK" if high_risk else "_GENERAL")
    return float(current_app.config[f"HOURS_{key}"])


def _covers(stint: Employment, day: date) -> bool:
    started, ended = stint.started_on, stint.ended_on
    return (started is None or started <= day) and (ended is None or ended > day)


def in_force(stints, year: int) -> Employment | None:
    """The stint whose obligation is in force in ``year``: the post held on its last day (the
    latest by id, should two cover it)."""
    last = date(year, 12, 31)
    return max((s for s in stints if _covers(s, last)), key=lambda s: s.id, default=None)


def deadline(stint: Employment) -> date | None:
    """The day a stint's initial training is due (None: appointment date unknown)."""
    return None if stint.started_on is None else add_months(stint.started_on, _months())


def requirement(person: Person, year: int) -> Requirement | None:
    """The obligation in force for this person in ``year`` (None: nothing owed, not in a post;
    ``obligations_in`` in SQL)."""
    stint = in_force(person.employments, year)
    if stint is None or not stint.role:
        return None
    high_risk = stint.enterprise.high_risk
    due = deadline(stint)
    if due is not None and year <= due.year:
        last = due if stint.ended_on is None else min(due, stint.ended_on - timedelta(days=1))
        return Requirement(
            _hours(True, high_risk), True, high_risk, due, stint.started_on, last, -stint.id
        )
    first = date(year, 1, 1)
    if due is not None and year == due.year + 1:
        first = due + timedelta(days=1)  # the rest of the deadline's year counts here
    end = date(year, 12, 31)
    return Requirement(_hours(False, high_risk), False, high_risk, end, first, end, year)


def period_of(stints, day: date) -> int:
    """The obligation an hour on ``day`` counts toward (``period_sql`` in SQL): ``-stint id``
    inside a stint's initial period, else the year of the retraining it counts to."""
    stint = max((s for s in stints if _covers(s, day)), key=lambda s: s.id, default=None)
    due = None if stint is None else deadline(stint)
    if due is None:
        return day.year
    if day <= due:
        return -stint.id
    return due.year + 1 if day.year == due.year else day.year


# --- the SQL twin ----------------------------------------------------------------------------


def high_risk_enterprises():
    """The enterprises in a high-risk sector (those ``Enterprise.high_risk`` holds for), as a
    subquery to join once rather than ask per person."""
    es = enterprise_sector.c
    return (
        select(es.enterprise_id)
        .join(Sector, Sector.id == es.sector_id)
        .where(Sector.high_risk.is_(True))
        .group_by(es.enterprise_id)
        .subquery("high_risk")
    )


def _int(field: str, column):
    if isinstance(column, date):
        column = literal(column, Date)
    return cast(extract(field, column), Integer)


def _deadline_year(started_on):
    """The year of ``add_months(started_on, months)``, in integers (both backends)."""
    return _int("year", started_on) + (_int("month", started_on) - 1 + _months()) // 12


def on_or_before_deadline(day, started_on):
    """SQL: ``day <= add_months(started_on, months)`` in integers: an earlier month, or the same
    month and a day of the month not after the appointment's (the clamped last day of a
    shorter month is then the month's last day, which every day of it is on or before)."""
    months = _int("year", day) * 12 + _int("month", day)
    due = _int("year", started_on) * 12 + _int("month", started_on) + _months()
    return or_(months < due, and_(months == due, _int("day", day) <= _int("day", started_on)))


def obligations_in(year: int):
    """The SQL twin of ``requirement``: per person with an obligation in ``year``, a subquery of
    (person_id, enterprise_id, initial, owed, period, started_on)."""
    last = date(year, 12, 31)
    held = aliased(Employment)
    latest = (
        select(func.max(held.id))
        .where(
            held.person_id == Person.id,
            or_(held.started_on.is_(None), held.started_on <= last),
            or_(held.ended_on.is_(None), held.ended_on > last),
        )
        .correlate_except(held)
        .scalar_subquery()
    )
    risky = high_risk_enterprises()
    high_risk = risky.c.enterprise_id.is_not(None)
    initial = and_(
        Employment.started_on.is_not(None), year <= _deadline_year(Employment.started_on)
    )
    owed = case(
        (and_(initial, high_risk), _hours(True, True)),
        (initial, _hours(True, False)),
        (high_risk, _hours(False, True)),
        else_=_hours(False, False),
    )
    return (
        select(
            Person.id.label("person_id"),
            Employment.enterprise_id.label("enterprise_id"),
            case((initial, 1), else_=0).label("initial"),
            owed.label("owed"),
            case((initial, -Employment.id), else_=year).label("period"),
            Employment.started_on.label("started_on"),
        )
        .join(Employment, Employment.id == latest)
        .outerjoin(risky, risky.c.enterprise_id == Employment.enterprise_id)
        .where(Employment.role.is_not(None), Employment.role != "")
        .subquery("obligation")
    )


def hours_owed(year: int):
    """The hours each person owes in ``year`` (person_id, owed), as ``requirement`` does."""
    owed = obligations_in(year)
    return select(owed.c.person_id, owed.c.owed)


def stint_covering(person_id, day):
    """The stint a person held on ``day``, to outer-join: (the stint, the join condition)."""
    stint, other = aliased(Employment), aliased(Employment)
    latest = (
        select(func.max(other.id))
        .where(
            other.person_id == person_id,
            or_(other.started_on.is_(None), other.started_on <= day),
            or_(other.ended_on.is_(None), other.ended_on > day),
        )
        .correlate_except(other)
        .scalar_subquery()
    )
    return stint, stint.id == latest


def period_sql(stint, day):
    """The SQL twin of ``period_of``: the period an hour on ``day`` counts to, ``stint`` being
    the one held that day (``stint_covering``, outer-joined)."""
    started = stint.started_on
    due_year = _deadline_year(started)
    return case(
        (started.is_(None), _int("year", day)),
        (on_or_before_deadline(day, started), -stint.id),
        (_int("year", day) == due_year, due_year + 1),
        else_=_int("year", day),
    )
