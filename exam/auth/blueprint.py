"""The auth blueprint; views declares its routes on it."""

from flask import Blueprint

from exam.auth.models import UserRole
from exam.auth.services import load_user
from exam.core.extensions import login_manager

bp = Blueprint("auth", __name__)


@bp.record_once
def _load_users(state) -> None:
    """Flask-Login finds the signed-in user through the account's session token."""
    login_manager.user_loader(load_user)


@bp.app_context_processor
def _roles() -> dict:
    return {"UserRole": UserRole}


# The route modules, imported last: they import the blueprint above.
from exam.auth import views  # noqa: E402, F401
