"""The exams blueprints; api, invigilate, manage, views declare their routes on them."""

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

from exam.exams import examday, services
from exam.learning.signals import required_courses
from exam.people.signals import person_file

bp = Blueprint("exams", __name__)
manage_bp = Blueprint("manage_exams", __name__, url_prefix="/manage/exams")
api_bp = ApiBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="What the exam page uses: log in, list exams, sit one, see the result.",
)


@bp.record_once
def _subscribe(state) -> None:
    person_file.connect(examday.person_file_part)
    required_courses.connect(services.prerequisite_courses)


# The route modules, imported last: they import the blueprints above.
from exam.exams import api, invigilate, manage, views  # noqa: E402, F401
