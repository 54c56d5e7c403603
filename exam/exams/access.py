"""Who may manage an exam, and the one loader of an exam for those who manage it."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import load_only

from exam.auth.models import User
from exam.core.extensions import db
from exam.exams.examday import (
    closed_for_everybody,
)
from exam.exams.models import Attempt, Exam, ReviewPolicy
from exam.people.scope import scope_of


def can_manage(user: User, exam: Exam) -> bool:
    """Whether ``user`` manages the exam: it is only for people within their scope (a makeup
    exam goes with its original)."""
    while exam.makeup_of is not None:
        exam = exam.makeup_of
    return scope_of(user).covers_rules(exam.eligibility)


def get_exam_or_404(exam_id: int) -> Exam:
    exam = db.session.get(Exam, exam_id)
    if exam is None or not can_manage(current_user, exam):
        abort(404)
    return exam


def get_attempt_or_404(attempt_id: int, *columns) -> Attempt | None:
    """The current candidate's own attempt, or None (another person's attempt is not found).

    ``columns`` limits what is loaded (a save needs neither the page's JSON nor the result).
    """
    query = select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == current_user.id)
    if columns:
        query = query.options(
            load_only(
                Attempt.id,
                Attempt.user_id,
                Attempt.exam_id,
                Attempt.deadline,
                Attempt.submitted_at,
                *columns,
            )
        )
    return db.session.scalar(query)


def review_allowed(attempt: Attempt, now) -> bool:
    policy = attempt.exam.review_policy
    return policy == ReviewPolicy.IMMEDIATELY or (
        policy == ReviewPolicy.AFTER_CLOSE and closed_for_everybody(attempt.exam, now)
    )
