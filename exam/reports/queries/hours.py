"""Training hours in SQL for the reports: the hours credited to every person in a year (on site
and online, as the ledger of ``exam.training.services`` counts them for one page of people)
against what the law asks of each (``exam.training.obligations.hours_owed``), so that "who has
done their hours" is one statement however many people there are."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import and_, case, func, select

from exam.auth.models import User
from exam.core.extensions import db
from exam.people.access import scope_enterprises
from exam.people.models import Enterprise, Person, PersonRole
from exam.reports.kept.models import PersonHours
from exam.training.obligations import high_risk_enterprises, hours_owed


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
    owed = hours_owed(year, risky.c.enterprise_id.is_not(None))
    done = case((onsite + online >= owed - 0.005, 1), else_=0)
    query = (
        select(func.count(Person.id), func.sum(done), func.sum(onsite), func.sum(online))
        .join(Enterprise, Enterprise.id == Person.enterprise_id)
        .outerjoin(risky, risky.c.enterprise_id == Enterprise.id)
        .outerjoin(kept, and_(kept.person_id == Person.id, kept.year == year))
        .outerjoin(studied, studied.c.person_id == Person.id)
        .where(Person.role.in_(PersonRole.ALL), owed.is_not(None))
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
