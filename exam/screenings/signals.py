"""News the screenings feature tells the features above it (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

#: Sent inside the unit of work, once flushed, when named attendance that credits hours
#: changed: ``people`` (ids) named or taken off, ``screenings`` (ids) whose attendance that
#: was, ``edited`` (ids) screenings whose hours or date changed (all their attendees are
#: credited again).
attendance_changed = _signals.signal("screening-attendance-changed")
