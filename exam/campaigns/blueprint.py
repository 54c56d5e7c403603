"""The campaigns blueprint and its URL map: every route of the feature on one screen, with the
signal it subscribes to."""

from flask import Blueprint

from exam.campaigns import services, views
from exam.exams.signals import exam_changed

bp = Blueprint("campaigns", __name__, url_prefix="/manage/campaigns")


@bp.record_once
def _subscribe(state) -> None:
    """A deleted exam leaves its campaign in the same unit of work."""
    exam_changed.connect(services.on_exam_changed)


# The URL map.
bp.add_url_rule("/", view_func=views.index)
bp.add_url_rule(
    "/new", view_func=views.edit, methods=["GET", "POST"], defaults={"campaign_id": None}
)
bp.add_url_rule("/<int:campaign_id>", view_func=views.detail)
bp.add_url_rule("/<int:campaign_id>/edit", view_func=views.edit, methods=["GET", "POST"])
bp.add_url_rule("/<int:campaign_id>/rounds", view_func=views.add_round, methods=["POST"])
bp.add_url_rule(
    "/<int:campaign_id>/rounds/<int:exam_id>/remove",
    view_func=views.remove_round,
    methods=["POST"],
)
bp.add_url_rule("/<int:campaign_id>/delete", view_func=views.delete, methods=["POST"])
