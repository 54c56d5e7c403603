"""Who may manage an exam, and the one loader of an exam for those who manage it."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from exam.auth.models import User
from exam.core.extensions import db
from exam.exams.models import Exam
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
