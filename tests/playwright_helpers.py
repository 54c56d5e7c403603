"""Small helpers the browser tests share."""

from __future__ import annotations

from sqlalchemy import select

from exam.core.extensions import db
from exam.learning.models import StudyProgress


def seconds_on_the_server() -> float:
    """The study seconds the server has credited (one lesson, one person in these tests)."""
    db.session.expire_all()
    return db.session.scalar(select(StudyProgress.seconds)) or 0.0
