"""The exams blueprints; api, invigilate, manage, views declare their routes on them."""

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

bp = Blueprint("exams", __name__)
manage_bp = Blueprint("manage_exams", __name__, url_prefix="/manage/exams")
api_bp = ApiBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="What the exam page uses: log in, list exams, sit one, see the result.",
)

# The route modules, imported last: they import the blueprints above.
from exam.exams import api, invigilate, manage, views  # noqa: E402, F401
