"""Who may manage a training session, and the loaders of sessions."""

from __future__ import annotations

from flask import (
    abort,
)
from flask_login import current_user

from exam.auth.models import User
from exam.core.extensions import db
from exam.people.scope import scope_of
from exam.training.models import TrainingSession


def can_manage(user: User, session: TrainingSession) -> bool:
    """Whether ``user`` manages the session: it is for sectors within their scope (a session
    for no sector only in a scope not limited by sector or town), or they made it."""
    scope = scope_of(user)
    if scope.unlimited or (scope.manages and session.created_by_id == user.id):
        return True
    return scope.covers([s.id for s in session.sectors], None)


def get_session_or_404(session_id: int) -> TrainingSession:
    return db.session.get(TrainingSession, session_id) or abort(404)


def get_managed_session_or_404(session_id: int) -> TrainingSession:
    """A session the current organiser may manage (others are not found)."""
    session = get_session_or_404(session_id)
    if not can_manage(current_user, session):
        abort(404)
    return session
