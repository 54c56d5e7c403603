"""The reference blueprint; views declares its routes on it."""

from flask import Blueprint

bp = Blueprint("reference", __name__, url_prefix="/reference")

# The route modules, imported last: they import the blueprint above.
from exam.reference import views  # noqa: E402, F401
