"""The auth blueprint and its URL map: every route of the feature on one screen, with the
signals it subscribes to."""

from flask import Blueprint

from exam.auth import views
from exam.auth.models import UserRole
from exam.auth.services import load_user
from exam.core.extensions import login_manager

bp = Blueprint("auth", __name__)


@bp.record_once
def _load_users(state) -> None:
    """Flask-Login finds the signed-in user through the login session its cookie names."""
    login_manager.user_loader(load_user)


@bp.app_context_processor
def _roles() -> dict:
    return {"UserRole": UserRole}


# The URL map.
bp.add_url_rule("/login", view_func=views.login, methods=["GET", "POST"])
bp.add_url_rule("/logout", view_func=views.logout, methods=["POST"])
bp.add_url_rule("/password", view_func=views.change_password, methods=["GET", "POST"])
bp.add_url_rule("/sessions", view_func=views.sessions)
bp.add_url_rule(
    "/sessions/sign-out-everywhere", view_func=views.sign_out_everywhere, methods=["POST"]
)
