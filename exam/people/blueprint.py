"""The people blueprint; imports, views declare its routes on it."""

from flask import Blueprint

from exam.auth.signals import login_lookup
from exam.people.models import PersonRole
from exam.people.services import account_for_login

bp = Blueprint("people", __name__)


@bp.record_once
def _answer_login_lookups(state) -> None:
    login_lookup.connect(account_for_login)


@bp.app_context_processor
def _posts() -> dict:
    return {"PersonRole": PersonRole}


# The route modules, imported last: they import the blueprint above.
from exam.people import imports, views  # noqa: E402, F401
