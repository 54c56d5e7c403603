"""The screenings blueprint; views declares its routes on it."""

from flask import Blueprint

bp = Blueprint("screenings", __name__, url_prefix="/manage/screenings")

# The route modules, imported last: they import the blueprint above.
from exam.screenings import views  # noqa: E402, F401
