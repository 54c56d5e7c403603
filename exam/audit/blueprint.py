"""The audit blueprint and its URL map: every route of the feature on one screen."""

from flask import Blueprint

from exam.audit import views

bp = Blueprint("audit", __name__, url_prefix="/audit")

# The URL map.
bp.add_url_rule("/", view_func=views.index)
