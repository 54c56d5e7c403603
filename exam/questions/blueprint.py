"""The questions blueprint; imports, media, views declare its routes on it."""

from flask import Blueprint

bp = Blueprint("questions", __name__, url_prefix="/questions")

# The route modules, imported last: they import the blueprint above.
from exam.questions import imports, media, views  # noqa: E402, F401
