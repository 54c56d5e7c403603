"""The training hours the law asks of a person in a year, in Python for one person (the ledger)
and in SQL for everybody at once (the reports).

Hours (生产经营单位安全培训规定, art. 9; configurable as ``HOURS_INITIAL_HIGH_RISK``,
``HOURS_INITIAL_GENERAL``, ``HOURS_ANNUAL_HIGH_RISK``, ``HOURS_ANNUAL_GENERAL``): a person in a
post at an enterprise owes the initial hours in the year they were appointed and the annual
hours every year after (or every year, when the appointment date is unknown); more in
high-risk sectors (an enterprise in any high-risk sector is high-risk). Nothing is owed
without an enterprise or a post, nor for a year before the appointment. ``requirement`` and
``hours_owed`` are the two forms; ``tests/test_rules_twins.py`` runs both over one table of
cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import and_, case, or_, select

from exam.people.models import Person, Sector, enterprise_sector


@dataclass(frozen=True)
class Requirement:
    hours: float
    initial: bool
    high_risk: bool


def _hours(initial: bool, high_risk: bool) -> float:
    key = ("INITIAL" if initial else "ANNUAL") + ("_HIGH_RISK" if high_risk else "_GENERAL")
    return float(current_app.config[f"HOURS_{key}"])


def requirement(person: Person, year: int) -> Requirement | None:
    """The hours the law asks of this person in ``year`` (None: nothing, e.g. not in post;
    ``hours_owed`` in SQL)."""
    enterprise = person.enterprise
    if enterprise is None or not person.role:
        return None
    if person.appointed_on is not None and year < person.appointed_on.year:
        return None  # not in the post yet
    high_risk = enterprise.high_risk
    initial = person.appointed_on is not None and person.appointed_on.year == year
    return Requirement(_hours(initial, high_risk), initial, high_risk)


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


def hours_owed(year: int, high_risk, person=Person):
    """The SQL twin of ``requirement``: the hours ``person`` owes in ``year``, NULL where
    nothing is owed; ``high_risk`` is true for a person whose enterprise is high-risk (say
    ``high_risk_enterprises()`` outer-joined, ``.c.enterprise_id.is_not(None)``)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    initial = and_(person.appointed_on >= first, person.appointed_on <= last)
    nothing = or_(
        person.enterprise_id.is_(None),
        person.role.is_(None),
        person.role == "",
        person.appointed_on > last,  # not in the post yet
    )
    return case(
        (nothing, None),
        (and_(initial, high_risk), _hours(True, True)),
        (initial, _hours(True, False)),
        (high_risk, _hours(False, True)),
        else_=_hours(False, False),
    )
