"""The questions blueprint; imports, media, views declare its routes on it."""

from flask import Blueprint

from exam.questions.models import USAGE_LABELS, QuestionStatus

bp = Blueprint("questions", __name__, url_prefix="/questions")


@bp.app_context_processor
def _question_labels() -> dict:
    return {"QuestionStatus": QuestionStatus, "USAGE_LABELS": USAGE_LABELS}


# The route modules, imported last: they import the blueprint above.
from exam.questions import imports, media, views  # noqa: E402, F401
