"""The learning blueprints and their URL map: every route of the feature on one screen."""

from flask import Blueprint

from exam.learning import manage, manage_stats, views

bp = Blueprint("learning", __name__, url_prefix="/learning")
manage_bp = Blueprint("manage_learning", __name__, url_prefix="/manage/learning")

# The URL map.
manage_bp.add_url_rule("/", view_func=manage.index)
manage_bp.add_url_rule(
    "/new", view_func=manage.edit, methods=["GET", "POST"], defaults={"course_id": None}
)
manage_bp.add_url_rule("/<int:course_id>/edit", view_func=manage.edit, methods=["GET", "POST"])
manage_bp.add_url_rule("/<int:course_id>", view_func=manage.course)
manage_bp.add_url_rule("/<int:course_id>/publish", view_func=manage.publish, methods=["POST"])
manage_bp.add_url_rule(
    "/<int:course_id>/lessons/new",
    view_func=manage.lesson,
    methods=["GET", "POST"],
    defaults={"lesson_id": None},
)
manage_bp.add_url_rule(
    "/<int:course_id>/lessons/<int:lesson_id>/edit",
    view_func=manage.lesson,
    methods=["GET", "POST"],
)
manage_bp.add_url_rule(
    "/<int:course_id>/lessons/<int:lesson_id>/move", view_func=manage.move, methods=["POST"]
)
manage_bp.add_url_rule(
    "/<int:course_id>/lessons/<int:lesson_id>/delete", view_func=manage.delete, methods=["POST"]
)
manage_bp.add_url_rule("/stats", view_func=manage_stats.stats_all)
manage_bp.add_url_rule("/<int:course_id>/stats", view_func=manage_stats.stats)
manage_bp.add_url_rule("/stats.xlsx", view_func=manage_stats.export, defaults={"course_id": None})
manage_bp.add_url_rule("/<int:course_id>/stats.xlsx", view_func=manage_stats.export)
manage_bp.app_template_filter("lesson_html")(manage.lesson_html_filter)
manage_bp.url_value_preprocessor(manage.lesson_upload_limit)
manage_bp.errorhandler(413)(manage.too_large)

bp.add_url_rule("/", view_func=views.mine)
bp.add_url_rule("/courses/<int:course_id>", view_func=views.course)
bp.add_url_rule("/lessons/<int:lesson_id>", view_func=views.lesson)
bp.add_url_rule("/lessons/<int:lesson_id>/beat", view_func=views.beat, methods=["POST"])
bp.add_url_rule("/lessons/<int:lesson_id>/file", view_func=views.lesson_file)
bp.add_url_rule("/lessons/<int:lesson_id>/pages/<int:page>.png", view_func=views.lesson_page)
