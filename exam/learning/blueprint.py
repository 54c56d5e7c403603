"""The learning blueprints; manage, manage_stats, views declare their routes on them."""

from flask import Blueprint

bp = Blueprint("learning", __name__, url_prefix="/learning")
manage_bp = Blueprint("manage_learning", __name__, url_prefix="/manage/learning")

# The route modules, imported last: they import the blueprints above.
from exam.learning import manage, manage_stats, views  # noqa: E402, F401
