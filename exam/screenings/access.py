"""Who may manage a screening, and the one loader of a screening for its managers."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from exam.auth.models import User
from exam.core.extensions import db
from exam.people.scope import Scope, current_scope, scope_of
from exam.screenings.models import Screening


def can_manage(user: User, sector_id: int | None, town_id: int | None) -> bool:
    """Whether ``user`` may manage a screening held for this sector and town/street."""
    return scope_of(user).covers([sector_id], [town_id])


def visible_screenings(scope: Scope | None = None):
    """The screenings the user may manage, as a query (``can_manage`` in SQL)."""
    scope = scope or current_scope()
    return select(Screening).where(scope.covers_clause(Screening.sector_id, Screening.town_id))


def get_screening_or_404(screening_id: int) -> Screening:
    screening = db.session.scalar(visible_screenings().where(Screening.id == screening_id))
    if screening is None:
        abort(404)
    return screening
