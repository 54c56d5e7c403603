"""The audit blueprint; views declares its routes on it."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

# The route modules, imported last: they import the blueprint above.
from exam.audit import views  # noqa: E402, F401
