"""The exams blueprints and their URL map: every route of the feature on one screen, with the
signals it subscribes to."""

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

from exam.exams import examday, invigilate, manage, services, views
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


# The URL map.
manage_bp.add_url_rule("/<int:exam_id>/invigilate", view_func=invigilate.invigilate)
manage_bp.add_url_rule("/<int:exam_id>/invigilate.json", view_func=invigilate.invigilate_data)
manage_bp.add_url_rule("/<int:exam_id>/attempts/<int:attempt_id>", view_func=invigilate.attempt)
manage_bp.add_url_rule(
    "/<int:exam_id>/attempts/<int:attempt_id>/<any(extend, reopen, allow_device, cancel):action>",
    view_func=invigilate.act,
    methods=["POST"],
)
manage_bp.add_url_rule(
    "/<int:exam_id>/overrides", view_func=invigilate.overrides, methods=["GET", "POST"]
)
manage_bp.add_url_rule(
    "/<int:exam_id>/overrides/<int:override_id>/delete",
    view_func=invigilate.delete_override,
    methods=["POST"],
)
manage_bp.add_url_rule("/<int:exam_id>/makeup", view_func=invigilate.makeup, methods=["POST"])
manage_bp.add_url_rule("/", view_func=manage.index)
manage_bp.add_url_rule(
    "/new", view_func=manage.edit, methods=["GET", "POST"], defaults={"exam_id": None}
)
manage_bp.add_url_rule("/<int:exam_id>/edit", view_func=manage.edit, methods=["GET", "POST"])
manage_bp.add_url_rule("/<int:exam_id>", view_func=manage.detail)
manage_bp.add_url_rule("/<int:exam_id>/publish", view_func=manage.publish, methods=["GET", "POST"])
manage_bp.add_url_rule("/<int:exam_id>/attempts.xlsx", view_func=manage.export)

bp.add_url_rule("/exams", view_func=views.index)
bp.add_url_rule("/exams/<int:exam_id>/notice", view_func=views.notice)
bp.add_url_rule("/exams/<int:exam_id>/start", view_func=views.start, methods=["POST"])
bp.add_url_rule("/attempts/<int:attempt_id>", view_func=views.sit)
bp.add_url_rule("/exam-worker.js", view_func=views.worker)
bp.add_url_rule("/attempts/<int:attempt_id>/result", view_func=views.result)
bp.add_url_rule(
    "/questions/<int:question_id>/regrade", view_func=views.regrade_question, methods=["POST"]
)

# The JSON API documents itself with flask-smorest's decorators on its blueprint.
from exam.exams import api  # noqa: E402, F401
