"""News the auth feature asks of, or tells, the features above it (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

#: Sent with what a user typed at login when it is no username; a receiver returns the
#: account it names, or None. The register answers for ID numbers and mobile numbers.
login_lookup = _signals.signal("login-lookup")
