"""The audit log in words: each action code, object type and changed field by its name in the
interface's language, and the summaries the writers compose read back as sentences.

One home for the log's vocabulary. The codes stay in the database as written (filters and
exports rely on them); only the page translates. A feature whose values have labels of their
own (a question's status, say) lends them with ``lend_values`` from its own module, since this
low layer imports no feature."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: Action code → what was done. tests/test_audit_words.py checks every ``record("…")`` of the
#: code base is named here.
ACTIONS = {
    "account.create": _l("Create account"),
    "account.update": _l("Change account"),
    "account.reset_password": _l("Reset password"),
    "account.disable": _l("Disable account"),
    "account.enable": _l("Enable account"),
    "account.unlock": _l("Unlock account"),
    "account.sign_out": _l("Sign out on all devices"),
    "attempt.extended": _l("Extend an attempt's time"),
    "attempt.reopened": _l("Reopen an attempt"),
    "attempt.device_allowed": _l("Allow an attempt on another device"),
    "attempt.cancelled": _l("Cancel an attempt's score"),
    "certificate.issue": _l("Issue certificate"),
    "certificate.reissue": _l("Re-issue certificate"),
    "certificate.revoke": _l("Revoke certificate"),
    "certificate.seal": _l("Replace the certificate seal"),
    "course.create": _l("Create course"),
    "course.update": _l("Change course"),
    "course.publish": _l("Publish course"),
    "course.unpublish": _l("Withdraw course"),
    "enterprise.create": _l("Add enterprise"),
    "enterprise.update": _l("Change enterprise"),
    "exam.save": _l("Create exam"),
    "exam.update": _l("Change exam"),
    "exam.publish": _l("Publish exam"),
    "exam.regrade": _l("Regrade a question's answers"),
    "exam.override": _l("Set individual exam terms"),
    "exam.override_remove": _l("Remove individual exam terms"),
    "exam.enrol": _l("Enrol candidates"),
    "exam.makeup": _l("Arrange makeup exam"),
    "film.create": _l("Add film"),
    "film.update": _l("Change film"),
    "lesson.create": _l("Add lesson"),
    "lesson.update": _l("Change lesson"),
    "lesson.delete": _l("Delete lesson"),
    "people.import": _l("Import enterprises and people"),
    "person.create": _l("Add person"),
    "person.update": _l("Change person"),
    "person.left": _l("Person left the enterprise"),
    "question.create": _l("Add question"),
    "question.update": _l("Change question"),
    "question.approve": _l("Approve question"),
    "question.activate": _l("Put question into use"),
    "question.retire": _l("Retire question"),
    "question.restore": _l("Restore question as draft"),
    "question_media.upload": _l("Upload question image"),
    "questions.import": _l("Import questions"),
    "screening.create": _l("Schedule screening"),
    "screening.update": _l("Change screening"),
    "screening.attendance_add": _l("Record screening attendance"),
    "screening.attendance_remove": _l("Remove screening attendance"),
    "sector.create": _l("Add sector"),
    "sector.update": _l("Change sector"),
    "topic.create": _l("Add topic"),
    "topic.update": _l("Change topic"),
    "town.create": _l("Add town/street"),
    "town.update": _l("Change town/street"),
    "training.schedule": _l("Schedule training"),
    "training.update": _l("Change training"),
    "training.cancel": _l("Cancel training"),
    "training.invite": _l("Invite to training"),
    "training.rollcall": _l("Take training roll-call"),
    "training.external": _l("Record external training"),
}

#: ``object_type`` (the model's class name, lower case) → what the object is.
OBJECTS = {
    "certificate": _l("Certificate"),
    "course": _l("Course"),
    "enterprise": _l("Enterprise"),
    "exam": _l("Exam"),
    "film": _l("Film"),
    "lesson": _l("Lesson"),
    "person": _l("Person"),
    "question": _l("Question"),
    "questionmedia": _l("Question image"),
    "screening": _l("Screening"),
    "sector": _l("Sector"),
    "topic": _l("Topic"),
    "town": _l("Town/street"),
    "trainingsession": _l("Training session"),
    "user": _l("Account"),
}

#: A changed field's key → its name.
FIELDS = {
    "added": _l("Added"),
    "removed": _l("Removed"),
    "address": _l("Address"),
    "appointed_on": _l("Appointed on"),
    "attempt": _l("Answer sheet"),
    "by": _l("By"),
    "closes_at": _l("Closes"),
    "contact_name": _l("Contact"),
    "contact_phone": _l("Contact phone"),
    "credit_code": _l("Unified social credit code"),
    "display_name": _l("Display name"),
    "employee_count": _l("Employees"),
    "enrolled": _l("Enrolled"),
    "enterprise": _l("Enterprise"),
    "enterprise_id": _l("Enterprise"),
    "extra_attempts": _l("Extra attempts"),
    "extra_minutes": _l("Extra minutes"),
    "films": _l("Films"),
    "id_number": _l("ID number"),
    "include_cancelled": _l("Including cancelled attempts"),
    "left_on": _l("Left on"),
    "minutes": _l("Minutes"),
    "mobile": _l("Mobile"),
    "name": _l("Name"),
    "note": _l("Note"),
    "of": _l("Makeup for exam"),
    "opens_at": _l("Opens"),
    "person_ids": _l("People"),
    "present": _l("Present"),
    "reason": _l("Reason"),
    "role": _l("Role"),
    "scope_sectors": _l("Sectors in scope"),
    "scope_towns": _l("Towns/streets in scope"),
    "sectors": _l("Sectors"),
    "sort_order": _l("Order"),
    "status": _l("Status"),
    "title": _l("Title"),
    "title/closes_at/integrity": _l("Title, closing time or integrity settings"),
    "topics": _l("Topics"),
    "town": _l("Town/street"),
    "usage": _l("Use"),
    "username": _l("Username"),
}

#: Plain values any field may hold.
_WORDS = {
    True: _l("Yes"),
    False: _l("No"),
    "organiser": _l("by an organiser"),
    "automatic": _l("automatically"),
    "changed after papers were drawn": _l("changed after papers were drawn"),
}

#: Field key → {value: label}, lent by the features that own the values.
_VALUES: dict[str, Mapping] = {}


def lend_values(field: str, labels: Mapping) -> None:
    """Let the log name the values of ``field`` by ``labels`` (a feature's own LABELS)."""
    _VALUES[field] = labels


def action_label(code: str) -> str:
    """An action's name (an unknown code as written, so nothing is hidden)."""
    return str(ACTIONS[code]) if code in ACTIONS else code


def object_label(object_type: str) -> str:
    """An object type's name."""
    return str(OBJECTS[object_type]) if object_type in OBJECTS else object_type


def field_label(key: str) -> str:
    """A changed field's name."""
    return str(FIELDS[key]) if key in FIELDS else key


def value_text(key: str, value: Any) -> str:
    """A value as the page shows it: lists joined with 、, labelled codes by their label."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return "、".join(value_text(key, v) for v in value) or "—"
    labels = _VALUES.get(key, {})
    if isinstance(value, str | bool) and value in labels:
        return str(labels[value])
    if isinstance(value, bool | str) and value in _WORDS:
        return str(_WORDS[value])
    return str(value)


def changes_rows(changes: dict | None) -> list[tuple[str, str, str | None]]:
    """``(field, old or value, new or None)`` per change, in words."""
    rows = []
    for key, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2 and key not in ("added", "person_ids"):
            rows.append((field_label(key), value_text(key, value[0]), value_text(key, value[1])))
        else:
            rows.append((field_label(key), value_text(key, value), None))
    return rows


# --- summaries ---------------------------------------------------------------------------
# Writers compose short summaries ("#185 v1 stem", "+3 ~0 =2"); these read them back as
# sentences. A summary no reader matches is shown as written.

_QUESTION = re.compile(r"^#(\d+) v(\d+)(?::| )\s*(.*)$", re.S)
_QUESTIONS_IMPORT = re.compile(r"^\+(\d+) ~(\d+) =(\d+)$")
_PEOPLE_IMPORT = re.compile(r"^enterprises \+(\d+) ~(\d+), people \+(\d+) ~(\d+)$")
_ADDED = re.compile(r"^(.*): \+(\d+)$", re.S)
_REGRADE = re.compile(r"^(\d+) attempts$")


def _question(summary: str) -> str:
    match = _QUESTION.match(summary)
    if not match:
        return summary
    version, rest = match.group(2), match.group(3)
    regraded = _REGRADE.match(rest)
    if regraded:
        rest = _("%(n)s attempts regraded", n=regraded.group(1))
    return _("(version %(v)s) %(rest)s", v=version, rest=rest).strip()


def _questions_import(summary: str) -> str:
    match = _QUESTIONS_IMPORT.match(summary)
    if not match:
        return summary
    new, changed, same = match.groups()
    return _(
        "Added %(new)s, updated %(changed)s, unchanged %(same)s",
        new=new,
        changed=changed,
        same=same,
    )


def _people_import(summary: str) -> str:
    match = _PEOPLE_IMPORT.match(summary)
    if not match:
        return summary
    e_new, e_changed, p_new, p_changed = match.groups()
    return _(
        "Enterprises: added %(e_new)s, updated %(e_changed)s; "
        "people: added %(p_new)s, updated %(p_changed)s",
        e_new=e_new,
        e_changed=e_changed,
        p_new=p_new,
        p_changed=p_changed,
    )


def _added(summary: str) -> str:
    match = _ADDED.match(summary)
    if not match:
        return summary
    return _("%(what)s: %(n)s added", what=match.group(1), n=match.group(2))


_READERS: dict[str, Callable[[str], str]] = {
    "questions.import": _questions_import,
    "people.import": _people_import,
    "training.invite": _added,
    "exam.enrol": _added,
}


def summary_text(action: str, object_type: str, summary: str) -> str:
    """An entry's summary in words."""
    if not summary:
        return ""
    if action in _READERS:
        return _READERS[action](summary)
    if object_type == "question":
        return _question(summary)
    return summary
