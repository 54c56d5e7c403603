"""Training hours in SQL for the reports: the hours credited to every person in a year (on site
and online, as the ledger of ``exam.training.services`` counts them for one page of people)
and what the law asks of each, so that "who has done their hours" is one statement however
many people there are."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import and_, case, func, literal, or_, select

from exam.auth.models import User
from exam.extensions import db
from exam.people.access import scope_enterprises
from exam.people.models import Enterprise, Person, PersonRole, Sector, enterprise_sector
from exam.reports.queries import year_bounds
from exam.screenings.models import Screening, ScreeningAttendance
from exam.training.models import Enrolment, ExternalTraining, TrainingSession


def hours_credited(year: int):
    """Per person, the hours credited in ``year`` as one subquery (person_id, onsite, online):
    on site are sessions attended, screenings attended by name and outside training (where
    the bureau counts it); online is tracked study, capped per day
    (``exam.training.services.ledgers`` for one page of people)."""
    from exam.learning.models import StudyDay

    config = current_app.config
    start, end = year_bounds(year)
    first, last = date(year, 1, 1), date(year, 12, 31)

    def part(person_id, hours, online: bool):
        zero = literal(0.0)
        return select(person_id.label("person_id"), (zero if online else hours).label("onsite"),
                      (hours if online else zero).label("online"))

    parts = [
        part(Enrolment.person_id, TrainingSession.hours, False)
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
        .where(Enrolment.attended_at.is_not(None), TrainingSession.cancelled_at.is_(None),
               TrainingSession.starts_at >= start, TrainingSession.starts_at < end),
        part(ScreeningAttendance.person_id, Screening.hours, False)
        .join(Screening, Screening.id == ScreeningAttendance.screening_id)
        .where(Screening.starts_at >= start, Screening.starts_at < end),
    ]
    if config["EXTERNAL_HOURS"]:
        parts.append(part(ExternalTraining.person_id, ExternalTraining.hours, False)
                     .where(ExternalTraining.held_on >= first, ExternalTraining.held_on <= last))
    cap = config["ONLINE_DAILY_CAP_HOURS"] * config["ONLINE_MINUTES_PER_HOUR"] * 60
    seconds = case((StudyDay.seconds > cap, cap), else_=StudyDay.seconds)
    parts.append(part(StudyDay.person_id, seconds / (config["ONLINE_MINUTES_PER_HOUR"] * 60.0), True)
                 .where(StudyDay.day >= first, StudyDay.day <= last))
    every = parts[0].union_all(*parts[1:]).subquery("credited")
    return (select(every.c.person_id, func.sum(every.c.onsite).label("onsite"),
                   func.sum(every.c.online).label("online"))
            .group_by(every.c.person_id).subquery("hours"))


def high_risk_enterprises():
    """The enterprises in a high-risk sector, as a subquery (joined once, not asked per person)."""
    es = enterprise_sector.c
    return (select(es.enterprise_id).join(Sector, Sector.id == es.sector_id).where(Sector.high_risk.is_(True))
            .group_by(es.enterprise_id).subquery("high_risk"))


def required_hours(year: int, high_risk_column):
    """The hours each person owes in ``year`` as a SQL expression over Person and, through
    ``high_risk_column`` (not None for a high-risk enterprise), their enterprise
    (``exam.training.services.requirement``: initial in the year of appointment, more in
    high-risk sectors)."""
    config = current_app.config
    high_risk = high_risk_column.is_not(None)
    initial = and_(Person.appointed_on >= date(year, 1, 1), Person.appointed_on <= date(year, 12, 31))
    return case((and_(initial, high_risk), config["HOURS_INITIAL_HIGH_RISK"]),
                (initial, config["HOURS_INITIAL_GENERAL"]),
                (high_risk, config["HOURS_ANNUAL_HIGH_RISK"]), else_=config["HOURS_ANNUAL_GENERAL"])


def hours_totals(user: User, year: int) -> tuple[int, int, float, float]:
    """People in a required post in scope, how many have done the year's hours, and the hours
    credited to them on site and online."""
    credited, risky = hours_credited(year), high_risk_enterprises()
    onsite, online = func.coalesce(credited.c.onsite, 0), func.coalesce(credited.c.online, 0)
    done = case((onsite + online >= required_hours(year, risky.c.enterprise_id) - 0.005, 1), else_=0)
    query = (select(func.count(Person.id), func.sum(done), func.sum(onsite), func.sum(online))
             .join(Enterprise, Enterprise.id == Person.enterprise_id)
             .outerjoin(risky, risky.c.enterprise_id == Enterprise.id)
             .outerjoin(credited, credited.c.person_id == Person.id)
             .where(Person.role.in_(PersonRole.ALL),
                    # Nothing is asked of a year before the person took the post (as the ledger).
                    or_(Person.appointed_on.is_(None), Person.appointed_on <= date(year, 12, 31))))
    required, met, onsite_hours, online_hours = db.session.execute(scope_enterprises(query, user)).one()
    return int(required or 0), int(met or 0), round(float(onsite_hours or 0), 2), round(float(online_hours or 0), 2)
