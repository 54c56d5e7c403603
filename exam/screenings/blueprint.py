"""The screenings blueprint; views declares its routes on it."""

from flask import Blueprint

from exam.people.signals import person_file
from exam.screenings import services

bp = Blueprint("screenings", __name__, url_prefix="/manage/screenings")


@bp.record_once
def _subscribe(state) -> None:
    person_file.connect(services.person_file_part)


# The route modules, imported last: they import the blueprint above.
from exam.screenings import views  # noqa: E402, F401
