"""The reference blueprint and its URL map: every route of the feature on one screen."""

from flask import Blueprint

from exam.reference import views

bp = Blueprint("reference", __name__, url_prefix="/reference")

# The URL map.
bp.add_url_rule("/", view_func=views.index)
bp.add_url_rule(
    "/<kind>/new", view_func=views.edit, methods=["GET", "POST"], defaults={"item_id": None}
)
bp.add_url_rule("/<kind>/<int:item_id>", view_func=views.edit, methods=["GET", "POST"])
