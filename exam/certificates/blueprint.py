"""The certificates blueprints; admission, views declare their routes on them."""

from flask import Blueprint

from exam.certificates import services
from exam.exams import signals as exams_signals
from exam.people.signals import person_file

bp = Blueprint("certificates", __name__)
verify_bp = Blueprint("verify", __name__)


@bp.record_once
def _subscribe(state) -> None:
    """Certificates follow what happens to the attempts they are issued for."""
    exams_signals.attempt_passed.connect(services.issue_after_submit)
    exams_signals.attempt_withdrawn.connect(services.withdraw_on_signal)
    person_file.connect(services.person_file_part)


# The route modules, imported last: they import the blueprints above.
from exam.certificates import admission, views  # noqa: E402, F401
