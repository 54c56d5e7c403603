"""Training hours in SQL for the reports: the hours credited to every person in a year (on site
and online, as the ledger of ``exam.training.services`` counts them for one page of people)
and what the law asks of each, so that "who has done their hours" is one statement however
many people there are."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import and_, case, func, or_, select

from exam.auth.models import User
from exam.core.extensions import db
from exam.people.access import scope_enterprises
from exam.people.models import Enterprise, Person, PersonRole, Sector, enterprise_sector
from exam.reports.models import PersonHours


def online_hours(year: int):
    """Per person, the hours of online study credited in ``year`` (person_id, online): tracked
    study, capped per day (``exam.training.services.ledgers`` for one page of people)."""
    from exam.learning.models import StudyDay

    config = current_app.config
    cap = config["ONLINE_DAILY_CAP_HOURS"] * config["ONLINE_MINUTES_PER_HOUR"] * 60
    seconds = case((StudyDay.seconds > cap, cap), else_=StudyDay.seconds)
    return (
        select(
            StudyDay.person_id,
            func.sum(seconds / (config["ONLINE_MINUTES_PER_HOUR"] * 60.0)).label("online"),
        )
        .where(StudyDay.day >= date(year, 1, 1), StudyDay.day <= date(year, 12, 31))
        .group_by(StudyDay.person_id)
        .subquery("online")
    )


def high_risk_enterprises():
    """The enterprises in a high-risk sector, as a subquery (joined once, not asked per person)."""
    es = enterprise_sector.c
    return (
        select(es.enterprise_id)
        .join(Sector, Sector.id == es.sector_id)
        .where(Sector.high_risk.is_(True))
        .group_by(es.enterprise_id)
        .subquery("high_risk")
    )


def required_hours(year: int, high_risk_column):
    """The hours each person owes in ``year`` as a SQL expression over Person and, through
    ``high_risk_column`` (not None for a high-risk enterprise), their enterprise
    (``exam.training.services.requirement``: initial in the year of appointment, more in
    high-risk sectors)."""
    config = current_app.config
    high_risk = high_risk_column.is_not(None)
    initial = and_(
        Person.appointed_on >= date(year, 1, 1), Person.appointed_on <= date(year, 12, 31)
    )
    return case(
        (and_(initial, high_risk), config["HOURS_INITIAL_HIGH_RISK"]),
        (initial, config["HOURS_INITIAL_GENERAL"]),
        (high_risk, config["HOURS_ANNUAL_HIGH_RISK"]),
        else_=config["HOURS_ANNUAL_GENERAL"],
    )


def hours_totals(user: User, year: int) -> tuple[int, int, float, float]:
    """People in a required post in scope, how many have done the year's hours, and the hours
    credited to them on site and online. On site: sessions attended, screenings attended by
    name and outside training (where the bureau counts it), kept per person and year in
    ``PersonHours`` (one row a person: joined, not grouped); online: ``online_hours``."""
    risky, studied, kept = high_risk_enterprises(), online_hours(year), PersonHours
    attended = func.coalesce(kept.attended, 0)
    onsite = (
        attended + func.coalesce(kept.external, 0)
        if current_app.config["EXTERNAL_HOURS"]
        else attended
    )
    online = func.coalesce(studied.c.online, 0)
    done = case(
        (onsite + online >= required_hours(year, risky.c.enterprise_id) - 0.005, 1), else_=0
    )
    query = (
        select(func.count(Person.id), func.sum(done), func.sum(onsite), func.sum(online))
        .join(Enterprise, Enterprise.id == Person.enterprise_id)
        .outerjoin(risky, risky.c.enterprise_id == Enterprise.id)
        .outerjoin(kept, and_(kept.person_id == Person.id, kept.year == year))
        .outerjoin(studied, studied.c.person_id == Person.id)
        .where(
            Person.role.in_(PersonRole.ALL),
            # Nothing is asked of a year before the person took the post (as the ledger).
            or_(Person.appointed_on.is_(None), Person.appointed_on <= date(year, 12, 31)),
        )
    )
    required, met, onsite_hours, online_hours_ = db.session.execute(
        scope_enterprises(query, user)
    ).one()
    return (
        int(required or 0),
        int(met or 0),
        round(float(onsite_hours or 0), 2),
        round(float(online_hours_ or 0), 2),
    )
