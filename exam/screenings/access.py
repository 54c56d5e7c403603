"""Who may manage a screening, and the one loader of a screening for its managers."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from exam.auth.models import User
from exam.core.extensions import db
from exam.people.scope import current_scope, scope_of
from exam.screenings.models import Screening


def can_manage(user: User, sector_id: int | None, town_id: int | None) -> bool:
    """Whether ``user`` may manage a screening held for this sector and town/street."""
    return scope_of(user).covers([sector_id], [town_id])


def visible_screenings():
    sectors, towns = current_scope().limits
    query = select(Screening)
    if sectors is not None:
        query = query.where(Screening.sector_id.in_(sectors))
    if towns is not None:
        query = query.where(Screening.town_id.in_(towns))
    return query


def get_screening_or_404(screening_id: int) -> Screening:
    screening = db.session.scalar(visible_screenings().where(Screening.id == screening_id))
    if screening is None:
        abort(404)
    return screening
