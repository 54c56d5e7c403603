"""Certificate pages: the public verification page, candidates' certificates, organisers'
lists and actions, bulk download, the seal, and admission notices."""

from __future__ import annotations

import io
import zipfile

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.orm import undefer
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from exam.accounts.forms import ActionForm
from exam.auth.access import MANAGERS, STAFF, roles_required
from exam.auth.models import User, UserRole
from exam.certificates import services
from exam.certificates.models import Certificate, CertificateStatus, SiteSetting
from exam.core.extensions import db
from exam.core.forms import PlainText
from exam.core.identifiers import mask_id_number
from exam.core.printing import FontMissing
from exam.core.timeutil import local_today, utcnow
from exam.core.uploads import download
from exam.core.web import int_arg, page_arg, parse_id
from exam.exams.models import Exam
from exam.people.access import visible_people
from exam.people.models import Enterprise, Person

PDF = "application/pdf"
#: Certificates rendered per request while a bulk download is being prepared.
RENDER_BATCH = 20
MAX_SEAL_BYTES = 1024 * 1024


class ReasonForm(FlaskForm):
    reason = StringField(validators=[DataRequired(message="reason"), Length(max=500), PlainText()])


class SealForm(FlaskForm):
    seal = FileField(validators=[FileRequired()])


# --- the public verification page -------------------------------------------------------


def lookup():
    number = request.args.get("number", "")
    if number:
        return redirect(url_for("verify.show", number=services.normalise_number(number)))
    return render_template("certificates/verify.html", certificate=None, number="")


def show(number: str):
    now = utcnow()
    if not services.lookup_allowed(request.remote_addr or "", now):
        db.session.commit()
        return render_template(
            "certificates/verify.html", certificate=None, number=number, throttled=True
        ), 429
    db.session.commit()
    number = services.normalise_number(number)
    certificate = db.session.scalar(select(Certificate).where(Certificate.number == number))
    today = local_today()
    return render_template(
        "certificates/verify.html",
        certificate=certificate,
        number=number,
        today=today,
        status=certificate.status(today) if certificate else None,
        masked=services.masked_name,
        authority=None,
    ), (200 if certificate else 404)


# --- candidates ------------------------------------------------------------------------------


def _visible_certificates():
    """Certificates of the people the current user may see (candidates: their own)."""
    query = select(Certificate)
    if current_user.role == UserRole.CANDIDATE:
        return query.where(Certificate.person_id == current_user.person_id)
    people = visible_people(current_user).with_only_columns(Person.id)
    return query.where(Certificate.person_id.in_(people))


def _certificate_or_404(certificate_id: int) -> Certificate:
    certificate = db.session.scalar(_visible_certificates().where(Certificate.id == certificate_id))
    if certificate is None:
        abort(404)
    return certificate


@roles_required(UserRole.CANDIDATE)
def mine():
    certificates = db.session.scalars(
        _visible_certificates().order_by(Certificate.issued_at.desc())
    ).all()
    return render_template("certificates/mine.html", certificates=certificates, today=local_today())


@roles_required(UserRole.CANDIDATE, *STAFF)
def pdf(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    if current_user.role == UserRole.CANDIDATE and certificate.status(local_today()) in (
        CertificateStatus.REVOKED,
        CertificateStatus.SUPERSEDED,
    ):
        abort(404)  # a holder gets only certificates that still say something true
    now = utcnow()
    data = services.pdf_of(certificate, now)
    db.session.commit()
    if data is None:  # rendering fails just now: the sweep keeps trying, the holder comes back
        back = (
            url_for("certificates.mine")
            if current_user.role == UserRole.CANDIDATE
            else url_for("certificates.detail", certificate_id=certificate.id)
        )
        wait = services.retry_after(certificate, now)
        page = render_template(
            "certificates/preparing.html",
            certificate=certificate,
            back=back,
            minutes=-(-wait // 60),
        )
        return page, 503, {"Retry-After": str(wait)}
    return download(data, f"合格证明-{certificate.holder_name}-{certificate.number}.pdf", PDF)


# --- organisers -------------------------------------------------------------------------------


@roles_required(*STAFF)
def index():
    today = local_today()
    query = _visible_certificates()
    exam_id, enterprise_id = (
        parse_id(request.args.get("exam")),
        parse_id(request.args.get("enterprise")),
    )
    status = request.args.get("status", "")
    expiring = int_arg("expiring")
    if expiring is not None:
        expiring = min(expiring, 3650)
    if exam_id:
        query = query.where(Certificate.exam_id == exam_id)
    if enterprise_id:
        query = query.where(Certificate.enterprise_id == enterprise_id)
    if expiring is not None:
        query = query.where(
            Certificate.id.in_(services.expiring(expiring, today).with_only_columns(Certificate.id))
        )
    if status == CertificateStatus.REVOKED:
        query = query.where(Certificate.revoked_at.is_not(None))
    elif status == CertificateStatus.SUPERSEDED:
        query = query.where(
            Certificate.superseded_at.is_not(None), Certificate.revoked_at.is_(None)
        )
    elif status in (CertificateStatus.VALID, CertificateStatus.EXPIRED):
        query = query.where(
            Certificate.revoked_at.is_(None),
            Certificate.superseded_at.is_(None),
            Certificate.valid_until >= today
            if status == CertificateStatus.VALID
            else Certificate.valid_until < today,
        )
    page = db.paginate(
        query.order_by(Certificate.valid_until if expiring is not None else Certificate.id.desc()),
        page=page_arg(),
        per_page=50,
        error_out=False,
    )
    exams = db.session.scalars(
        select(Exam)
        .where(Exam.id.in_(select(Certificate.exam_id).distinct()))
        .order_by(Exam.opens_at.desc())
    ).all()
    enterprises = db.session.execute(
        select(Enterprise.id, Enterprise.name)
        .where(
            Enterprise.id.in_(
                _visible_certificates().with_only_columns(Certificate.enterprise_id).distinct()
            )
        )
        .order_by(Enterprise.name)
    ).all()
    return render_template(
        "certificates/index.html",
        page=page,
        today=today,
        exams=exams,
        enterprises=enterprises,
        notice_days=_notice_days(),
        mask=mask_id_number,
        waiting=_waiting() if current_user.role in MANAGERS else None,
        font=_font(),
    )


def _font() -> dict:
    """The font certificates are printed in, or why there is none, for the page's footnote."""
    try:
        return {"choice": services.certificate_font(), "error": None}
    except FontMissing as error:
        return {"choice": None, "error": str(error)}


#: Certificates waiting for their PDF listed on the management page (the count is of all).
WAITING_LISTED = 20


def _waiting() -> dict:
    """The certificates this organiser manages whose PDF failed to render and still waits, with
    why (the others are merely not done yet: the sweep comes by every minute)."""
    visible = _visible_certificates().with_only_columns(Certificate.id)
    query = services.waiting_to_render().where(
        Certificate.render_failures > 0, Certificate.id.in_(visible)
    )
    count = db.session.scalar(query.with_only_columns(func.count(Certificate.id)).order_by(None))
    listed = db.session.scalars(query.limit(WAITING_LISTED)).all() if count else []
    return {"count": count, "listed": listed, "now": utcnow()}


def _notice_days() -> int:
    from flask import current_app

    return current_app.config["CERTIFICATE_NOTICE_DAYS"]


@roles_required(*STAFF)
def detail(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    issuer = db.session.get(User, certificate.issued_by_id) if certificate.issued_by_id else None
    return render_template(
        "certificates/detail.html",
        certificate=certificate,
        today=local_today(),
        issuer=issuer,
        form=ReasonForm(),
        mask=mask_id_number,
        verify_url=services.verify_url(certificate.number),
    )


@roles_required(*MANAGERS)
def act(certificate_id: int, action: str):
    certificate = _certificate_or_404(certificate_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why: it goes into the log."), "danger")
        return redirect(url_for("certificates.detail", certificate_id=certificate.id))
    now = utcnow()
    try:
        if action == "revoke":
            services.revoke(certificate, current_user, form.reason.data, now)
            target = certificate
        else:
            target = services.reissue(certificate, current_user, form.reason.data, now)
            services.render(target, now)
    except services.CertificateError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("certificates.detail", certificate_id=certificate.id))
    db.session.commit()
    flash(
        _("Revoked: the verification page now says so.")
        if action == "revoke"
        else _("Re-issued with a new number; the old certificate is superseded."),
        "success",
    )
    return redirect(url_for("certificates.detail", certificate_id=target.id))


def _exam_or_404(exam_id: int) -> Exam:
    from exam.exams.access import get_exam_or_404

    return get_exam_or_404(exam_id)


@roles_required(*MANAGERS)
def for_exam(exam_id: int):
    exam = _exam_or_404(exam_id)
    counts = _exam_counts(exam)
    return render_template(
        "certificates/exam.html",
        exam=exam,
        counts=counts,
        missing=len(services.uncertified_attempts(exam.id)),
    )


def _exam_counts(exam: Exam) -> dict:
    base = _visible_certificates().where(
        Certificate.exam_id == exam.id,
        Certificate.revoked_at.is_(None),
        Certificate.superseded_at.is_(None),
    )
    total = db.session.scalar(base.with_only_columns(func.count(Certificate.id)))
    pending = db.session.scalar(  # those a batch would render now (not those backing off)
        base.where(
            Certificate.rendered_at.is_(None), services.render_due(utcnow())
        ).with_only_columns(func.count(Certificate.id))
    )
    return {"total": total, "pending": pending}


@roles_required(*MANAGERS)
def issue_missing(exam_id: int):
    exam = _exam_or_404(exam_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    now = utcnow()
    issued = 0
    visible = set(db.session.scalars(visible_people(current_user).with_only_columns(Person.id)))
    for attempt in services.uncertified_attempts(exam.id):
        if attempt.user.person_id in visible and services.issue_for_attempt(
            attempt, now, current_user
        ):
            issued += 1
    db.session.commit()
    flash(_("%(n)s certificates issued.", n=issued), "success")
    return redirect(url_for("certificates.for_exam", exam_id=exam.id))


@roles_required(*MANAGERS)
def render_batch(exam_id: int):
    """One step of preparing a bulk download: render a batch, say how far it is."""
    exam = _exam_or_404(exam_id)  # CSRF: the X-CSRFToken header, checked for every POST
    services.render_pending(limit=RENDER_BATCH, exam_id=exam.id)
    db.session.commit()
    return jsonify(_exam_counts(exam))


@roles_required(*MANAGERS)
def exam_zip(exam_id: int):
    exam = _exam_or_404(exam_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for certificate in db.session.scalars(  # the current ones only: not revoked, not superseded
            _visible_certificates()
            .options(undefer(Certificate.pdf))
            .where(
                Certificate.exam_id == exam.id,
                Certificate.pdf.is_not(None),
                Certificate.revoked_at.is_(None),
                Certificate.superseded_at.is_(None),
            )
            .order_by(Certificate.id)
        ):
            archive.writestr(
                f"{certificate.enterprise_name}-{certificate.holder_name}-{certificate.number}.pdf",
                certificate.pdf,
            )
    return download(
        buffer.getvalue(),
        f"合格证明-{exam.title}-{local_today().isoformat()}.zip",
        "application/zip",
    )


@roles_required(UserRole.ADMIN)
def seal():
    form = SealForm()
    if form.validate_on_submit():
        data = form.seal.data.read(MAX_SEAL_BYTES + 1)
        problem = _seal_problem(data)
        if problem:
            flash(problem, "danger")
        else:
            setting = db.session.get(SiteSetting, services.SEAL_KEY) or SiteSetting(
                key=services.SEAL_KEY
            )
            setting.blob_value, setting.text_value = data, form.seal.data.filename[:200]
            db.session.add(setting)
            from exam.audit.services import record

            record("certificate.seal", None, form.seal.data.filename[:200])
            db.session.commit()
            flash(_("The seal is saved: certificates issued from now on carry it."), "success")
            return redirect(url_for("certificates.seal"))
    elif form.is_submitted():
        flash(_("Choose a PNG or JPEG image of the seal."), "danger")
    return render_template(
        "certificates/seal.html", form=form, has_seal=services.seal() is not None
    )


@roles_required(UserRole.ADMIN)
def seal_image():
    data = services.seal() or abort(404)
    return download(data, "seal.png", "image/png")


def _seal_problem(data: bytes) -> str | None:
    """Why this upload cannot be the seal (checked by content, not by its name), or None."""
    if len(data) > MAX_SEAL_BYTES:
        return _("The seal image must be at most 1 MB.")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                return _("Choose a PNG or JPEG image of the seal.")
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return _("Choose a PNG or JPEG image of the seal.")
    return None


def certificate_labels() -> dict:
    return {"CertificateStatus": CertificateStatus}
