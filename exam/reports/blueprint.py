"""The reports blueprint; analysis, files, views declare its routes on it."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

# The route modules, imported last: they import the blueprint above.
from exam.reports import analysis, files, views  # noqa: E402, F401
