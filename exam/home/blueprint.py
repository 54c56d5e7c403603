"""The home blueprint; views declares its routes on it."""

from flask import Blueprint

bp = Blueprint("home", __name__)

# The route modules, imported last: they import the blueprint above.
from exam.home import views  # noqa: E402, F401
