"""News the learning feature asks of the features above it (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

#: Sent with a Person: a receiver returns the ids of courses the person must be able to
#: study because something above asks for them first (exams with a prerequisite course).
required_courses = _signals.signal("required-courses")
