"""Who may manage an exam, and the one loader of an exam for those who manage it."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.exams.models import Exam

MANAGERS = (UserRole.ADMIN, UserRole.ORGANISER)


def can_manage(user: User, exam: Exam) -> bool:
    """Administrators manage every exam; an organiser limited to some sectors or towns manages
    the exams that are only for those (a makeup exam goes with its original)."""
    if user.role == UserRole.ADMIN:
        return True
    while exam.makeup_of is not None:
        exam = exam.makeup_of
    rules = exam.eligibility or {}
    for scope, key in ((user.scope_sectors, "sector_ids"), (user.scope_towns, "town_ids")):
        if scope and not (rules.get(key) and set(rules[key]) <= {item.id for item in scope}):
            return False
    return True


def get_exam_or_404(exam_id: int) -> Exam:
    exam = db.session.get(Exam, exam_id)
    if exam is None or not can_manage(current_user, exam):
        abort(404)
    return exam
