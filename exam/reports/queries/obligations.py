"""Who was not trained and passed in time (未按期完成初训并考核合格): the people in a required post
whose initial training period (``exam.training.obligations``: ``INITIAL_TRAINING_MONTHS`` after
the appointment to their current post) is over and who either did not do the initial hours in
it or have never passed an exam. The law (生产经营单位安全培训规定) asks leaders to be trained and
to pass within six months of taking the post; the tracker lists them and the dashboard counts
them, in one statement each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import and_, case, exists, func, not_, or_, select

from exam.auth.models import User
from exam.core.extensions import db
from exam.exams.models import Attempt
from exam.people.access import scope_enterprises
from exam.people.models import Employment, Enterprise, Person, PersonRole
from exam.reports.kept.models import PersonHours
from exam.training.obligations import (
    add_months,
    high_risk_enterprises,
    initial_hours,
    on_or_before_deadline,
)


@dataclass(frozen=True)
class Overdue:
    """One person past their initial deadline without the hours or a pass."""

    person_id: int
    name: str
    enterprise: str
    role: str
    appointed_on: date
    due_on: date
    owed: float
    done: float
    passed: bool

    @property
    def role_label(self) -> str:
        return PersonRole.label(self.role)


def _online_in_initial_period():
    """Per current stint, the online study hours on the days of its initial period."""
    from exam.learning.models import StudyDay

    config = current_app.config
    cap = config["ONLINE_DAILY_CAP_HOURS"] * config["ONLINE_MINUTES_PER_HOUR"] * 60
    seconds = case((StudyDay.seconds > cap, cap), else_=StudyDay.seconds)
    return (
        select(
            Employment.id.label("stint_id"),
            func.sum(seconds / (config["ONLINE_MINUTES_PER_HOUR"] * 60.0)).label("online"),
        )
        .join(StudyDay, StudyDay.person_id == Employment.person_id)
        .where(
            Employment.ended_on.is_(None),
            Employment.started_on.is_not(None),
            StudyDay.day >= Employment.started_on,
            on_or_before_deadline(StudyDay.day, Employment.started_on),
        )
        .group_by(Employment.id)
        .subquery("initial_online")
    )


def _overdue(user: User, today: date):
    """The query of the people overdue on ``today`` in ``user``'s scope (rows for ``Overdue``)."""
    risky, online, kept = high_risk_enterprises(), _online_in_initial_period(), PersonHours
    attended = func.coalesce(kept.attended, 0)
    onsite = (
        attended + func.coalesce(kept.external, 0)
        if current_app.config["EXTERNAL_HOURS"]
        else attended
    )
    done = onsite + func.coalesce(online.c.online, 0)
    owed = case(
        (risky.c.enterprise_id.is_not(None), initial_hours(True)), else_=initial_hours(False)
    )
    passed = exists(
        select(Attempt.id)
        .join(User, User.id == Attempt.user_id)
        .where(User.person_id == Person.id, Attempt.counts_as_pass)
    )
    query = (
        select(
            Person.id,
            Person.name,
            Enterprise.name,
            Employment.role,
            Employment.started_on,
            owed.label("owed"),
            done.label("done"),
            passed.label("passed"),
        )
        .join(Employment, and_(Employment.person_id == Person.id, Employment.ended_on.is_(None)))
        .join(Enterprise, Enterprise.id == Person.enterprise_id)
        .outerjoin(risky, risky.c.enterprise_id == Enterprise.id)
        .outerjoin(kept, and_(kept.person_id == Person.id, kept.period == -Employment.id))
        .outerjoin(online, online.c.stint_id == Employment.id)
        .where(
            Person.role.in_(PersonRole.ALL),
            Employment.enterprise_id == Person.enterprise_id,
            Employment.started_on.is_not(None),
            not_(on_or_before_deadline(today, Employment.started_on)),
            or_(done < owed - 0.005, not_(passed)),
        )
    )
    return scope_enterprises(query, user)


def overdue_count(user: User, today: date) -> int:
    """How many people in ``user``'s scope were not trained and passed in time."""
    inner = _overdue(user, today).subquery()
    return int(db.session.scalar(select(func.count()).select_from(inner)) or 0)


def overdue_initial(user: User, today: date, limit: int = 500) -> list[Overdue]:
    """The people in ``user``'s scope not trained and passed in time, longest overdue first."""
    months = int(current_app.config["INITIAL_TRAINING_MONTHS"])
    rows = db.session.execute(
        _overdue(user, today).order_by(Employment.started_on, Person.id).limit(limit)
    ).all()
    return [
        Overdue(
            pid,
            name,
            enterprise,
            role,
            started,
            add_months(started, months),
            float(owed),
            round(float(done or 0), 2),
            bool(passed),
        )
        for pid, name, enterprise, role, started, owed, done, passed in rows
    ]
