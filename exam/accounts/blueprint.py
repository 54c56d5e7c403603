"""The accounts blueprint; views declares its routes on it."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

# The route modules, imported last: they import the blueprint above.
from exam.accounts import views  # noqa: E402, F401
