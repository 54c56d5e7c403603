"""The practice blueprint; views declares its routes on it."""

from flask import Blueprint

bp = Blueprint("practice", __name__, url_prefix="/practice")

# The route modules, imported last: they import the blueprint above.
from exam.practice import views  # noqa: E402, F401
