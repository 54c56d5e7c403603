"""Training hours in SQL for the reports: the hours credited to every person toward the obligation
in force in a year (on site and online, as the ledger of ``exam.training.services`` counts them
for one page of people) against what it asks (``exam.training.obligations.obligations_in``), so
that "who has done their hours" is one statement however many people there are."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import and_, case, func, select

from exam.auth.models import User
from exam.core.extensions import db
from exam.people.access import scope_enterprises
from exam.people.models import Enterprise, Person, PersonRole
from exam.reports.kept.models import PersonHours
from exam.training.obligations import obligations_in, period_sql, stint_covering


def online_hours(year: int):
    """Per person and obligation period, the hours of online study credited to it (person_id,
    period, online): tracked study, capped per day (``exam.training.services.ledgers`` for one
    page of people), each day in its period (``period_sql``). Only the days that can count
    toward an obligation in force in ``year`` are read: an initial period began at most
    ``INITIAL_TRAINING_MONTHS`` before the year, and the retraining after it takes the rest of
    the deadline's year."""
    from exam.learning.models import StudyDay

    config = current_app.config
    cap = config["ONLINE_DAILY_CAP_HOURS"] * config["ONLINE_MINUTES_PER_HOUR"] * 60
    seconds = case((StudyDay.seconds > cap, cap), else_=StudyDay.seconds)
    since = date(year - 2 - config["INITIAL_TRAINING_MONTHS"] // 12, 1, 1)
    stint, held = stint_covering(StudyDay.person_id, StudyDay.day)
    dated = (
        select(
            StudyDay.person_id.label("person_id"),
            period_sql(stint, StudyDay.day).label("period"),
            (seconds / (config["ONLINE_MINUTES_PER_HOUR"] * 60.0)).label("hours"),
        )
        .outerjoin(stint, held)
        .where(StudyDay.day >= since, StudyDay.day <= date(year, 12, 31))
        .subquery("dated")
    )
    return (
        select(dated.c.person_id, dated.c.period, func.sum(dated.c.hours).label("online"))
        .group_by(dated.c.person_id, dated.c.period)
        .subquery("online")
    )


def hours_totals(user: User, year: int) -> tuple[int, int, float, float]:
    """People with a training obligation in force in ``year`` in scope (in a required post at
    an enterprise), how many have done its hours, and the hours credited toward it on site and
    online. On site: sessions attended, screenings attended by name and outside training (where
    the bureau counts it), kept per person and obligation in ``PersonHours`` (one row a person:
    joined, not grouped); online: ``online_hours``; what is owed: ``obligations_in``."""
    owed, studied, kept = obligations_in(year), online_hours(year), PersonHours
    attended = func.coalesce(kept.attended, 0)
    onsite = (
        attended + func.coalesce(kept.external, 0)
        if current_app.config["EXTERNAL_HOURS"]
        else attended
    )
    online = func.coalesce(studied.c.online, 0)
    done = case((onsite + online >= owed.c.owed - 0.005, 1), else_=0)
    query = (
        select(func.count(Person.id), func.sum(done), func.sum(onsite), func.sum(online))
        .join(owed, owed.c.person_id == Person.id)
        .join(Enterprise, Enterprise.id == owed.c.enterprise_id)
        .outerjoin(kept, and_(kept.person_id == Person.id, kept.period == owed.c.period))
        .outerjoin(
            studied, and_(studied.c.person_id == Person.id, studied.c.period == owed.c.period)
        )
        .where(Person.role.in_(PersonRole.ALL))
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
