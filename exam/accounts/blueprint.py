"""The accounts blueprint and its URL map: every route of the feature on one screen."""

from flask import Blueprint

from exam.accounts import views

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

# The URL map.
bp.add_url_rule("/", view_func=views.index)
bp.add_url_rule("/new", view_func=views.edit, methods=["GET", "POST"], defaults={"user_id": None})
bp.add_url_rule("/<int:user_id>/edit", view_func=views.edit, methods=["GET", "POST"])
bp.add_url_rule("/<int:user_id>", view_func=views.detail)
for action in ("reset_password", "disable", "enable", "unlock", "sign_out"):
    bp.add_url_rule(
        f"/<int:user_id>/{action.replace('_', '-')}",
        action,
        views.act,
        methods=["POST"],
        defaults={"action": action},
    )
