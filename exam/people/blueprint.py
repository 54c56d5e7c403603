"""The people blueprint; imports, views declare its routes on it."""

from flask import Blueprint

bp = Blueprint("people", __name__)

# The route modules, imported last: they import the blueprint above.
from exam.people import imports, views  # noqa: E402, F401
