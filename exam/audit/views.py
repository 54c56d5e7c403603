"""The bureau's view of the audit log, filterable."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import or_, select

from exam.audit import labels
from exam.audit.models import AuditEntry
from exam.auth.access import roles_required
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import display_zone
from exam.core.web import int_arg, page_arg


def _local_day_start(text: str | None) -> datetime | None:
    """The start of a day typed as YYYY-MM-DD in the display zone, or None."""
    try:
        day = datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    if not 1900 <= day.year <= 9000:  # keep the arithmetic below far from datetime's limits
        return None
    return datetime.combine(day, time.min, tzinfo=display_zone())


@roles_required(UserRole.ADMIN)
def index():
    query = select(AuditEntry)
    args = request.args
    if action := args.get("action", "").strip():
        query = query.where(AuditEntry.action.startswith(action))
    if object_type := args.get("object_type", "").strip():
        query = query.where(AuditEntry.object_type == object_type)
    if (object_id := int_arg("object_id")) is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if actor := args.get("actor", "").strip():
        query = query.where(AuditEntry.user_label.contains(actor))
    if q := args.get("q", "").strip():
        query = query.where(or_(AuditEntry.summary.contains(q), AuditEntry.address.contains(q)))
    if start := _local_day_start(args.get("from")):
        query = query.where(AuditEntry.at >= start)
    if end := _local_day_start(args.get("to")):
        query = query.where(AuditEntry.at < end + timedelta(days=1))
    page = db.paginate(
        page=page_arg(), select=query.order_by(AuditEntry.id.desc()), per_page=50, error_out=False
    )
    actions = db.session.scalars(
        select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    ).all()
    types = db.session.scalars(
        select(AuditEntry.object_type)
        .distinct()
        .where(AuditEntry.object_type != "")
        .order_by(AuditEntry.object_type)
    ).all()
    return render_template(
        "audit/index.html", page=page, actions=actions, types=types, words=labels
    )
