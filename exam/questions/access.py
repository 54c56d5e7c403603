"""Who may work on the question bank, and the one loader of a question."""

from __future__ import annotations

from flask import abort

from exam.core.extensions import db
from exam.questions.models import Question


def get_question_or_404(question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None:
        abort(404)
    return question
