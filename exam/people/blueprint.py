"""The people blueprint and its URL map: every route of the feature on one screen, with the
signals it subscribes to."""

from flask import Blueprint
from sqlalchemy.orm import joinedload

from exam.auth.models import User
from exam.auth.services import add_user_load
from exam.auth.signals import login_lookup
from exam.people import imports, views
from exam.people.models import Person, PersonRole
from exam.people.services import account_for_login

bp = Blueprint("people", __name__)


@bp.record_once
def _answer_login_lookups(state) -> None:
    login_lookup.connect(account_for_login)


@bp.record_once
def _load_people_with_users(state) -> None:
    """A candidate's person and enterprise come with the account (eligibility reads both on
    the exam list, a start and a submission)."""
    add_user_load(state.app, joinedload(User.person).joinedload(Person.enterprise))


@bp.app_context_processor
def _posts() -> dict:
    return {"PersonRole": PersonRole}


# The URL map.
bp.add_url_rule("/import", view_func=imports.import_upload, methods=["GET", "POST"])
bp.add_url_rule("/import/confirm", view_func=imports.import_confirm, methods=["POST"])
bp.add_url_rule("/import/template.xlsx", view_func=imports.import_template)
bp.add_url_rule("/import/template-<kind>.csv", view_func=imports.import_template_csv)
bp.add_url_rule("/export.xlsx", view_func=imports.export)
bp.add_url_rule("/enterprises", view_func=views.enterprises)
bp.add_url_rule("/enterprises/<int:enterprise_id>", view_func=views.enterprise)
bp.add_url_rule(
    "/enterprises/new",
    view_func=views.edit_enterprise,
    methods=["GET", "POST"],
    defaults={"enterprise_id": None},
)
bp.add_url_rule(
    "/enterprises/<int:enterprise_id>/edit",
    view_func=views.edit_enterprise,
    methods=["GET", "POST"],
)
bp.add_url_rule("/people", view_func=views.people)
bp.add_url_rule("/people/<int:person_id>", view_func=views.person)
bp.add_url_rule(
    "/people/new",
    view_func=views.edit_person,
    methods=["GET", "POST"],
    defaults={"person_id": None},
)
bp.add_url_rule(
    "/people/<int:person_id>/edit", view_func=views.edit_person, methods=["GET", "POST"]
)
bp.add_url_rule("/people/<int:person_id>/leave", view_func=views.leave, methods=["GET", "POST"])
