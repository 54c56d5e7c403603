"""A person's training file: sessions attended, outside training with its evidence, and the
ledger of hours owed and done by year (organisers and the enterprise's contact)."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from exam.auth.access import MANAGERS, roles_required
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import local_today, to_form_time
from exam.people.access import get_person_or_404
from exam.training import services
from exam.training.forms import ExternalForm
from exam.training.models import ExternalTraining

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024


@roles_required(*MANAGERS, UserRole.CONTACT)
def person_hours(person_id: int):
    """A person's training file: sessions attended, outside training, the ledger by year."""
    person = get_person_or_404(person_id, current_user)
    form = ExternalForm()
    if current_user.role in MANAGERS and form.validate_on_submit():
        data = form.evidence.data.read(MAX_EVIDENCE_BYTES + 1)
        kind = _evidence_kind(data)
        if len(data) > MAX_EVIDENCE_BYTES or kind is None:
            flash(_("The evidence must be a PDF, PNG or JPEG file of at most 5 MB."), "danger")
        else:
            try:
                services.add_external(
                    person,
                    current_user,
                    title=form.title.data,
                    provider=form.provider.data,
                    held_on=form.held_on.data,
                    hours=form.hours.data,
                    evidence=data,
                    evidence_name=form.evidence.data.filename[:200],
                    evidence_type=kind,
                )
            except services.TrainingError as error:
                flash(error.message, "danger")
            else:
                db.session.commit()
                flash(_("Saved: the hours count in this person's ledger."), "success")
                return redirect(url_for("training.person_hours", person_id=person.id))
    year = local_today().year
    years = [services.ledger(person, y) for y in (year, year - 1, year - 2)]
    external = db.session.scalars(
        select(ExternalTraining)
        .where(ExternalTraining.person_id == person.id)
        .order_by(ExternalTraining.held_on.desc())
    ).all()
    return render_template(
        "training/person.html",
        person=person,
        years=years,
        attended=services.attended(person),
        external=external,
        form=form,
        local=to_form_time,
    )


@roles_required(*MANAGERS, UserRole.CONTACT)
def evidence(person_id: int, entry_id: int):
    from exam.core.uploads import download

    person = get_person_or_404(person_id, current_user)
    entry = db.session.get(ExternalTraining, entry_id)
    if entry is None or entry.person_id != person.id:
        abort(404)
    return download(entry.evidence, entry.evidence_name, entry.evidence_type)


def _evidence_kind(data: bytes) -> str | None:
    """The type of an evidence file, by its content."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None
