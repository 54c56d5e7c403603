"""News the register tells, or asks of, the features above it (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

#: Sent with a Person when their page is shown. A receiver returns a dict of template values
#: for its part of the page (exams: attempts, certificates, screenings …).
person_file = _signals.signal("person-file")

#: Sent inside the unit of work, once flushed, with ``person_ids``: these people changed post
#: or enterprise, or their employment history was corrected (where they were on a given day
#: may have changed). The reports place their candidacies again.
people_moved = _signals.signal("people-moved")
