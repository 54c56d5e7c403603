"""Each role lands on its own home page, with real figures."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.people.access import visible_enterprises, visible_people
from exam.people.models import Person, Town, enterprise_sector
from exam.people.services import counts_by_sector_and_role


@login_required
def index():
    from exam.core.timeutil import utcnow
    from exam.exams import examday
    from exam.exams.standing import back_to_training

    now = utcnow()
    if current_user.role == UserRole.CANDIDATE:
        notices, results = examday.candidate_notices(current_user, now)
        back = back_to_training(current_user.person) if current_user.person else []
        return render_template(
            "home/candidate.html",
            person=current_user.person,
            notices=notices,
            results=results,
            back_to_training=back,
            now=now,
            expiring=_expiring_certificate(current_user),
            sessions=_sessions_for(current_user, now),
        )
    if current_user.role == UserRole.CONTACT:
        return render_template("home/contact.html", enterprise=current_user.enterprise)
    return render_template(
        "home/staff.html",
        **_register_figures(current_user),
        exams_at_risk=examday.exams_at_risk(current_user, now),
    )


def _sessions_for(user: User, now):
    """Training sessions not over that invite the candidate (or that they joined)."""
    from exam.training.services import upcoming_for

    return upcoming_for(user.person, now) if user.person else []


def _expiring_certificate(user: User):
    """The candidate's current certificate if it ends within the notice period (or has ended)."""
    from flask import current_app

    from exam.certificates.services import current_certificate
    from exam.core.timeutil import local_today

    if user.person_id is None:
        return None
    certificate = current_certificate(user.person_id)
    days = current_app.config["CERTIFICATE_NOTICE_DAYS"]
    if certificate is None or (certificate.valid_until - local_today()).days > days:
        return None
    return certificate


def _register_figures(user: User) -> dict:
    enterprises = visible_enterprises(user).subquery()
    people = visible_people(user).where(Person.enterprise_id.is_not(None)).subquery()
    sectors, person_counts = counts_by_sector_and_role(user)
    enterprise_counts = dict(
        db.session.execute(
            select(enterprise_sector.c.sector_id, func.count())
            .join(enterprises, enterprises.c.id == enterprise_sector.c.enterprise_id)
            .group_by(enterprise_sector.c.sector_id)
        ).all()
    )
    by_town = db.session.execute(
        select(Town.name, func.count(enterprises.c.id))
        .join(enterprises, enterprises.c.town_id == Town.id)
        .group_by(Town.id, Town.name)
        .order_by(Town.sort_order, Town.name)
    ).all()
    role_totals = dict(
        db.session.execute(select(people.c.role, func.count()).group_by(people.c.role)).all()
    )
    return {
        "enterprise_total": db.session.scalar(select(func.count()).select_from(enterprises)),
        "people_total": db.session.scalar(select(func.count()).select_from(people)),
        "sectors": [s for s in sectors if enterprise_counts.get(s.id)],
        "enterprise_counts": enterprise_counts,
        "person_counts": person_counts,
        "role_totals": role_totals,
        "by_town": by_town,
        "pending_first_login": db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.role == UserRole.CANDIDATE,
                User.password_hash.is_(None),
                User.person_id.in_(select(people.c.id)),
            )
        ),
    }
