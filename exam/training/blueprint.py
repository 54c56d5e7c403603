"""The training blueprint; views declares its routes on it."""

from flask import Blueprint

bp = Blueprint("training", __name__)

# The route modules, imported last: they import the blueprint above.
from exam.training import views  # noqa: E402, F401
