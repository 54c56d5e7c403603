"""News the register tells the features above it (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

#: Sent with a Person when their page is shown. A receiver returns a dict of template values
#: for its part of the page (exams: attempts, certificates, screenings …).
person_file = _signals.signal("person-file")
