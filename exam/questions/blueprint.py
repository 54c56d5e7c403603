"""The questions blueprint and its URL map: every route of the feature on one screen."""

from flask import Blueprint

from exam.questions import imports, media, views
from exam.questions.models import USAGE_LABELS, QuestionStatus

bp = Blueprint("questions", __name__, url_prefix="/questions")


@bp.app_context_processor
def _question_labels() -> dict:
    return {"QuestionStatus": QuestionStatus, "USAGE_LABELS": USAGE_LABELS}


# The URL map.
bp.add_url_rule("/import", view_func=imports.import_upload, methods=["GET", "POST"])
bp.add_url_rule("/import/confirm", view_func=imports.import_confirm, methods=["POST"])
bp.add_url_rule("/import/template.xlsx", view_func=imports.import_template)
bp.add_url_rule("/import/template.csv", view_func=imports.import_template_csv)
bp.add_url_rule("/export.xlsx", view_func=imports.export_xlsx)
bp.add_url_rule("/export.xml", view_func=imports.export_moodle)
bp.add_url_rule("/media", view_func=media.upload_media, methods=["POST"])
bp.add_url_rule("/media/<name>", view_func=media.media)
bp.add_url_rule("/", view_func=views.index)
bp.add_url_rule(
    "/new", view_func=views.edit, methods=["GET", "POST"], defaults={"question_id": None}
)
bp.add_url_rule("/<int:question_id>/edit", view_func=views.edit, methods=["GET", "POST"])
bp.add_url_rule("/<int:question_id>", view_func=views.detail)
bp.add_url_rule("/<int:question_id>/preview", view_func=views.preview)
bp.add_url_rule("/<int:question_id>/<action>", view_func=views.act, methods=["POST"])
bp.add_url_rule("/bulk", view_func=views.bulk, methods=["POST"])
bp.add_url_rule("/counts", view_func=views.counts)
bp.add_url_rule("/topics", view_func=views.topics)
bp.add_url_rule("/topics/<int:topic_id>", view_func=views.edit_topic, methods=["GET", "POST"])
bp.add_url_rule(
    "/topics/<int:parent_id>/new",
    view_func=views.edit_topic,
    methods=["GET", "POST"],
    defaults={"topic_id": None},
)
bp.app_template_filter("answer_key")(views.answer_key)
bp.app_template_filter("answer_words")(views.answer_words)
bp.app_template_filter("kind_label")(views.kind_label)
