"""The home blueprint and its URL map: every route of the feature on one screen."""

from flask import Blueprint

from exam.home import views

bp = Blueprint("home", __name__)

# The URL map.
bp.add_url_rule("/", view_func=views.index)
