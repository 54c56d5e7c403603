"""News the exams feature tells the features above it (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

#: Sent with an attempt's id once its passing submission has been committed (never inside
#: it): certificates issue in a unit of work of their own, and a failure there never fails
#: the submission (the scheduler's sweep tries again).
attempt_passed = _signals.signal("attempt-passed")

#: Sent inside the transaction when a submitted attempt no longer stands (its score cancelled,
#: or the attempt reopened), with ``actor``, ``reason`` and ``now``: whatever was issued for
#: it is withdrawn in the same unit of work.
attempt_withdrawn = _signals.signal("attempt-withdrawn")
