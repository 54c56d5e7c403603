"""The certificates blueprints; admission, views declare their routes on them."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)
verify_bp = Blueprint("verify", __name__)

# The route modules, imported last: they import the blueprints above.
from exam.certificates import admission, views  # noqa: E402, F401
