"""The auth blueprint; views declares its routes on it."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

# The route modules, imported last: they import the blueprint above.
from exam.auth import views  # noqa: E402, F401
