"""News the training feature tells the features above it (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

#: Sent inside the unit of work, once flushed, when attendance that credits hours changed:
#: ``people`` (ids) enrolled, signed in, were marked or unmarked at a roll call, or had outside
#: training recorded; ``sessions`` (ids) whose attendance that was; ``edited`` (ids) sessions
#: whose hours, start or cancellation changed (all their attendees are credited again).
attendance_changed = _signals.signal("training-attendance-changed")
