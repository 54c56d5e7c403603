"""News the exams feature tells the features above it (blinker signals)."""

from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()


@dataclass(frozen=True)
class ResultLink:
    """Something a candidate can get for a passing attempt, offered on its result page."""

    label: str
    url: str
    #: Short facts under the link, each kept on one line (a certificate's number, its validity).
    notes: tuple[str, ...] = ()


#: Sent with an attempt's id once its passing submission has been committed (never inside
#: it): certificates issue in a unit of work of their own, and a failure there never fails
#: the submission (the scheduler's sweep tries again).
attempt_passed = _signals.signal("attempt-passed")

#: Sent inside the transaction when a submitted attempt no longer stands (its score cancelled,
#: or the attempt reopened), with ``actor``, ``reason`` and ``now``: whatever was issued for
#: it is withdrawn in the same unit of work.
attempt_withdrawn = _signals.signal("attempt-withdrawn")

#: Sent inside the unit of work, once flushed, when attempts were started, submitted (by the
#: candidate, at the deadline, by the scheduler), cancelled, reopened, regraded or deleted;
#: with ``roots`` (the original exams: an exam, or the one a makeup is for), ``users`` (the
#: accounts), ``removed`` (some attempts were deleted) and ``lost`` (some scores may no
#: longer count). The reports keep their candidacies and latest results in step.
attempts_changed = _signals.signal("attempts-changed")

#: Sent inside the unit of work, once flushed, when an exam changed in a way that changes who
#: sat it or who it was for, with the ids of the original exams concerned: ``reruled`` (their
#: rules, close or publication changed), ``moved`` (their opening day changed), ``relinked``
#: (a makeup of theirs was linked to, or from, another: built again), ``deleted`` (exams
#: deleted).
exam_changed = _signals.signal("exam-changed")

#: Sent with a submitted Attempt that counts as a pass when its result page is shown; a
#: receiver returns a ``ResultLink`` (or None) for what its feature has for that attempt
#: (certificates: the certificate issued for it).
result_links = _signals.signal("result-links")
