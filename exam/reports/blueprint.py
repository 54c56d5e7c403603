"""The reports blueprint; analysis, files, views declare its routes on it."""

from flask import Blueprint

from exam.exams import signals as exams_signals
from exam.people.signals import people_moved
from exam.reports import candidacy, hourskept
from exam.screenings import signals as screenings_signals
from exam.training import signals as training_signals

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.record_once
def _subscribe(state) -> None:
    """What the reports keep (candidacies, latest results, hours) follows the features that own
    the data, in their unit of work."""
    exams_signals.attempts_changed.connect(candidacy.on_attempts_changed)
    exams_signals.exam_changed.connect(candidacy.on_exam_changed)
    people_moved.connect(candidacy.on_people_moved)
    training_signals.attendance_changed.connect(hourskept.on_training_attendance)
    screenings_signals.attendance_changed.connect(hourskept.on_screening_attendance)


# The route modules, imported last: they import the blueprint above.
from exam.reports import analysis, files, views  # noqa: E402, F401
