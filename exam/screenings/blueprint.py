"""The screenings blueprint and its URL map: every route of the feature on one screen, with the
signals it subscribes to."""

from flask import Blueprint

from exam.people.signals import person_file
from exam.screenings import services, views

bp = Blueprint("screenings", __name__, url_prefix="/manage/screenings")


@bp.record_once
def _subscribe(state) -> None:
    person_file.connect(services.person_file_part)


# The URL map.
bp.add_url_rule("/", view_func=views.index)
bp.add_url_rule(
    "/new", view_func=views.edit, methods=["GET", "POST"], defaults={"screening_id": None}
)
bp.add_url_rule("/<int:screening_id>/edit", view_func=views.edit, methods=["GET", "POST"])
bp.add_url_rule("/<int:screening_id>", view_func=views.detail)
bp.add_url_rule("/<int:screening_id>/attendance", view_func=views.add_attendance, methods=["POST"])
bp.add_url_rule(
    "/<int:screening_id>/attendance/<int:person_id>/remove",
    view_func=views.remove_attendance,
    methods=["POST"],
)
bp.add_url_rule("/films", view_func=views.films)
bp.add_url_rule(
    "/films/new", view_func=views.edit_film, methods=["GET", "POST"], defaults={"film_id": None}
)
bp.add_url_rule("/films/<int:film_id>/edit", view_func=views.edit_film, methods=["GET", "POST"])
