"""What the exams feature tells the features above when its attempts or exams change: the
payloads of ``exams.signals.attempts_changed`` and ``exam_changed``, worked out in one place.

Each helper flushes first, so that a receiver reads the change from the database in the same
transaction, then sends.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import inspect

from exam.core.extensions import db
from exam.exams import signals
from exam.exams.models import Attempt, Exam

#: An original exam's fields that decide who it was for.
ROSTER_FIELDS = ("closes_at", "eligibility", "published_at")


def attempts_changed(
    attempts: Iterable[Attempt], *, removed: bool = False, lost: bool = False
) -> None:
    """Tell that these attempts were started, submitted, cancelled, reopened, regraded or
    (``removed``) deleted; ``lost``: a score may no longer count."""
    attempts = list(attempts)
    if not attempts:
        return
    # Read once flushed: loading an expired attempt before would drop its pending changes.
    db.session.flush()
    signals.attempts_changed.send(
        roots=_roots({a.exam_id for a in attempts}),
        users={a.user_id for a in attempts},
        removed=removed,
        lost=lost or removed,
    )


def _roots(exam_ids: Iterable[int]) -> set[int]:
    """The original exams (a makeup stands for its original) of these exams."""
    roots = set()
    for exam_id in exam_ids:
        exam = db.session.get(Exam, exam_id)  # in the identity map already, as a rule
        if exam is not None:
            roots.add(exam.makeup_of_id or exam.id)
    return roots


def delete_attempt(attempt: Attempt) -> None:
    """Delete an attempt (its answers go with it) and tell so."""
    exam_id, user_id = attempt.exam_id, attempt.user_id
    db.session.delete(attempt)
    db.session.flush()
    signals.attempts_changed.send(roots=_roots([exam_id]), users={user_id}, removed=True, lost=True)


def exam_changed(exam: Exam) -> None:
    """Tell what a pending change of ``exam`` (not yet flushed) changes for whoever counts its
    candidates; nothing if it changes nothing that counts."""
    state = inspect(exam)
    if state.transient or state.pending:  # a new exam: nobody has sat it yet
        db.session.flush()
        return
    # The pending changes, read before anything loads the exam (which would drop them).
    history = {
        name: state.attrs[name].history for name in (*ROSTER_FIELDS, "opens_at", "makeup_of_id")
    }
    db.session.flush()
    relinked = history["makeup_of_id"]
    original = exam.makeup_of_id is None

    def changed(*names: str) -> bool:
        return any(history[name].has_changes() for name in names)

    payload = {
        "relinked": {of or exam.id for of in (exam.makeup_of_id, *relinked.deleted)}
        if relinked.has_changes()
        else set(),
        "reruled": {exam.id} if original and changed(*ROSTER_FIELDS) else set(),
        "moved": {exam.id} if original and changed("opens_at") else set(),
    }
    if any(payload.values()):
        signals.exam_changed.send(deleted=set(), **payload)


def delete_exam(exam: Exam) -> None:
    """Delete an exam (its attempts go with it) and tell so."""
    exam_id, root = exam.id, exam.makeup_of_id or exam.id
    db.session.delete(exam)
    db.session.flush()
    signals.exam_changed.send(relinked={root}, reruled=set(), moved=set(), deleted={exam_id})
