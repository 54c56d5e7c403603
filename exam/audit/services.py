"""Recording into the audit log. Callers flush/commit with their unit of work."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from exam.audit.models import AuditEntry
from exam.core.extensions import db


def _plain(value: Any) -> Any:
    """A value as it can be stored in the JSON column (related rows by their name)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return getattr(value, "name", None) or str(value)


def apply_changes(obj: Any, values: dict[str, Any]) -> dict[str, list]:
    """Set attributes on ``obj`` and return ``{field: [old, new]}`` for those that changed."""
    changes: dict[str, list] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
            setattr(obj, field, new)
    return changes


def record(
    action: str, obj: Any = None, summary: str = "", changes: dict | None = None, actor: Any = None
) -> AuditEntry:
    """Add an audit entry for the current user (or ``actor``) and request address."""
    if obj is not None and getattr(obj, "id", 0) is None:
        db.session.flush()  # give a new object its id before it is named in the log
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=getattr(obj, "id", None),
        summary=summary[:300],
        changes=changes or None,
        user_id=getattr(actor, "id", None),
        user_label=(f"{actor.name} ({actor.username})" if actor is not None else "system")[:80],
        address=(request.remote_addr or "")[:64] if has_request_context() else "",
    )
    db.session.add(entry)
    return entry
