"""The training blueprint and its URL map: every route of the feature on one screen."""

from flask import Blueprint

from exam.training import manage, records, views

bp = Blueprint("training", __name__)

# The URL map.
bp.add_url_rule("/manage/training", view_func=manage.index)
bp.add_url_rule(
    "/manage/training/new",
    view_func=manage.edit,
    methods=["GET", "POST"],
    defaults={"session_id": None},
)
bp.add_url_rule(
    "/manage/training/<int:session_id>/edit", view_func=manage.edit, methods=["GET", "POST"]
)
bp.add_url_rule("/manage/training/<int:session_id>", view_func=manage.detail)
bp.add_url_rule("/manage/training/<int:session_id>/qr.svg", view_func=manage.qr)
bp.add_url_rule(
    "/manage/training/<int:session_id>/rollcall", view_func=manage.rollcall, methods=["POST"]
)
bp.add_url_rule(
    "/manage/training/<int:session_id>/cancel", view_func=manage.cancel, methods=["POST"]
)
bp.add_url_rule("/manage/training/hours", view_func=manage.hours)
bp.add_url_rule("/manage/training/hours/invite", view_func=manage.invite, methods=["POST"])
bp.add_url_rule(
    "/people/<int:person_id>/training", view_func=records.person_hours, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/people/<int:person_id>/training/evidence/<int:entry_id>", view_func=records.evidence
)
bp.add_url_rule("/training", view_func=views.mine)
bp.add_url_rule(
    "/training/<int:session_id>/<any(enrol, withdraw):action>",
    view_func=views.enrol,
    methods=["POST"],
)
bp.add_url_rule(
    "/training/<int:session_id>/signin", view_func=views.signin, methods=["GET", "POST"]
)
bp.add_url_rule("/training/calendar.ics", view_func=views.feed)
bp.add_url_rule("/training/<int:session_id>.ics", view_func=views.session_ics)
