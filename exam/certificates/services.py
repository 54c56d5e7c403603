"""Issuing, rendering, revoking and re-issuing certificates; the public lookup.

A certificate is issued after the submission that passed has been committed (never inside
it: a certificate that fails must not fail a submission). Its PDF is rendered separately;
whatever was not issued or not rendered is picked up by the scheduler's sweep, which is
idempotent. Services flush; the caller commits.
"""

from __future__ import annotations

import logging
import math
import secrets
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from exam.audit.services import record
from exam.auth.models import User
from exam.certificates.errors import CertificateError
from exam.certificates.models import Certificate, CertificateKind, PublicLookup, SiteSetting
from exam.core.extensions import db
from exam.core.identifiers import mask_id_number
from exam.core.printing import FontChoice, choose_font
from exam.core.timeutil import local_today, utcnow
from exam.exams.models import Attempt
from exam.exams.signals import ResultLink
from exam.people.models import Person, PersonRole

log = logging.getLogger(__name__)

#: Crockford's base32 without look-alikes (no I, L, O, U): easy to read out and type.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SEAL_KEY = "certificate_seal"
#: After a failed render the sweep waits this long before the next try, doubling with each
#: failure in a row up to ``RENDER_RETRY_MAX``: it never gives up (an outage, say a bad font
#: setting, ends some day), and organisers see what is waiting and why.
RENDER_RETRY_FIRST = timedelta(minutes=1)
RENDER_RETRY_MAX = timedelta(hours=1)


def new_number(today: date) -> str:
    """AP2026-7K3MQ-9XD2P: the year and 50 random bits."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"AP{today.year}-{chars[:5]}-{chars[5:]}"


def normalise_number(text: str) -> str:
    return "".join((text or "").split()).upper().replace("—", "-").replace("－", "-")[:24]


def valid_until(issued_on: date, years: int) -> date:
    """The last day of validity: the day before the same date ``years`` later (a certificate
    of 29 February runs to the last day of February)."""
    try:
        end = issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February in a year that has none: the term ends with 28 February
        return issued_on.replace(year=issued_on.year + years, day=28)
    return end - timedelta(days=1)


def current_certificate(
    person_id: int, kind: str = CertificateKind.SPECIAL_EXAM
) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.person_id == person_id,
            Certificate.kind == kind,
            Certificate.revoked_at.is_(None),
            Certificate.superseded_at.is_(None),
        )
    )


def _snapshot(certificate: Certificate, person: Person) -> None:
    """What the certificate says about its holder, as it is now (in Chinese, whoever issues it)."""
    from flask_babel import force_locale

    enterprise = person.enterprise
    certificate.holder_name, certificate.id_number = person.name, person.id_number
    certificate.enterprise_name = enterprise.name if enterprise else ""
    certificate.enterprise_id = enterprise.id if enterprise else None
    with force_locale("zh_CN"):
        certificate.role = PersonRole.label(person.role) if person.role else ""


def _add_current(certificate: Certificate, now: datetime, reissue: bool = False) -> Certificate:
    """Add ``certificate`` as the person's current one, superseding the one before. When a
    concurrent issue for the same attempt got there first, that certificate is returned."""
    for _ in range(3):
        previous = current_certificate(certificate.person_id, certificate.kind)
        if not reissue and previous is not None and previous.attempt_id == certificate.attempt_id:
            return previous  # already issued for this attempt
        try:
            with db.session.begin_nested():
                if previous is not None:
                    previous.superseded_at = now
                    db.session.flush()
                db.session.add(certificate)
                db.session.flush()
                if previous is not None:
                    previous.superseded_by_id = certificate.id
            return certificate
        except IntegrityError:
            continue  # someone issued at the same moment: look again
    raise CertificateError("conflict")


def issue_for_attempt(
    attempt: Attempt, now: datetime, actor: User | None = None
) -> Certificate | None:
    """The certificate for a passing, graded attempt (the same one if already issued)."""
    if not attempt.counts_as_pass:
        return None
    existing = db.session.scalar(
        select(Certificate)
        .where(Certificate.attempt_id == attempt.id)
        .order_by(Certificate.id.desc())
        .limit(1)
    )
    if existing is not None:
        return existing  # issued before (even if since revoked: that was a decision)
    person = attempt.user.person
    if person is None:
        return None
    today = local_today()
    certificate = Certificate(
        number=new_number(today),
        kind=CertificateKind.SPECIAL_EXAM,
        person_id=person.id,
        attempt_id=attempt.id,
        exam_id=attempt.exam_id,
        exam_title=attempt.exam.title,
        score=attempt.score,
        issued_on=today,
        valid_until=valid_until(today, current_app.config["CERTIFICATE_YEARS"]),
        issued_at=now,
        issued_by_id=actor.id if actor else None,
    )
    _snapshot(certificate, person)
    current = current_certificate(person.id, certificate.kind)
    newer = (
        current is not None
        and current.attempt_id is not None
        and db.session.scalar(select(Attempt.submitted_at).where(Attempt.id == current.attempt_id))
        > attempt.submitted_at
    )
    if newer:  # a later pass already holds the current certificate: this one is history
        certificate.superseded_at, certificate.superseded_by_id = now, current.id
        db.session.add(certificate)
        db.session.flush()
    else:
        added = _add_current(certificate, now)
        if added is not certificate:  # a concurrent issuer inserted it: that one logged it
            return added
    record(
        "certificate.issue",
        certificate,
        f"{certificate.number} {certificate.holder_name}",
        {"attempt": attempt.id, "by": "organiser" if actor else "automatic"},
        actor=actor,
    )
    return certificate


def issue_after_submit(attempt_id: int) -> None:
    """Called after a submission is committed: issue in a transaction of its own; a failure
    is logged and left to the scheduler's sweep."""
    try:
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is not None and issue_for_attempt(attempt, utcnow()) is not None:
            db.session.commit()
    except Exception:  # noqa: BLE001 - never let a certificate fail the candidate's request
        db.session.rollback()
        log.exception(
            "issuing the certificate of attempt %s failed; the sweep will retry", attempt_id
        )


def uncertified_attempts(exam_id: int | None = None) -> list[Attempt]:
    """Passing attempts (not cancelled) that have no certificate yet, oldest first."""
    query = (
        select(Attempt)
        .where(
            Attempt.counts_as_pass,
            ~select(Certificate.id).where(Certificate.attempt_id == Attempt.id).exists(),
        )
        .order_by(Attempt.submitted_at)
    )
    if exam_id is not None:
        query = query.where(Attempt.exam_id == exam_id)
    return list(db.session.scalars(query))


def reissue(certificate: Certificate, actor: User, reason: str, now: datetime) -> Certificate:
    """A new certificate (new number) with the person's details as they are now, the same
    dates; the old one is superseded (e.g. after a name correction)."""
    if certificate.revoked_at is not None or certificate.superseded_at is not None:
        raise CertificateError("not_current")
    fresh = Certificate(
        number=new_number(certificate.issued_on),
        kind=certificate.kind,
        person_id=certificate.person_id,
        attempt_id=certificate.attempt_id,
        exam_id=certificate.exam_id,
        exam_title=certificate.exam_title,
        score=certificate.score,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        issued_at=now,
        issued_by_id=actor.id,
    )
    _snapshot(fresh, certificate.person)
    fresh = _add_current(fresh, now, reissue=True)
    record(
        "certificate.reissue",
        fresh,
        f"{certificate.number} → {fresh.number}",
        {"reason": reason},
        actor=actor,
    )
    return fresh


def withdraw_for_attempt(attempt: Attempt, actor: User, reason: str, now: datetime) -> int:
    """The attempt no longer passes (score cancelled, attempt reopened; the receiver of
    ``exams.signals.attempt_withdrawn``): revoke what was issued for it, so that the public page
    says so at once. The number revoked."""
    revoked = 0
    for certificate in db.session.scalars(
        select(Certificate).where(
            Certificate.attempt_id == attempt.id, Certificate.revoked_at.is_(None)
        )
    ):
        revoke(certificate, actor, reason, now)
        revoked += 1
    return revoked


def revoke(certificate: Certificate, actor: User, reason: str, now: datetime) -> None:
    if certificate.revoked_at is not None:
        raise CertificateError("revoked")
    certificate.revoked_at, certificate.revoke_reason, certificate.revoked_by_id = (
        now,
        reason,
        actor.id,
    )
    record(
        "certificate.revoke",
        certificate,
        f"{certificate.number} {certificate.holder_name}",
        {"reason": reason},
        actor=actor,
    )


# --- rendering ---------------------------------------------------------------------------


def seal() -> bytes | None:
    setting = db.session.scalar(
        select(SiteSetting)
        .options(undefer(SiteSetting.blob_value))
        .where(SiteSetting.key == SEAL_KEY)
    )
    return setting.blob_value if setting else None


def verify_url(number: str) -> str:
    base = current_app.config.get("SITE_URL") or ""
    if base:
        return f"{base.rstrip('/')}/verify/{number}"
    try:
        return url_for("verify.show", number=number, _external=True)
    except RuntimeError:  # no request: the scheduler without a configured SITE_URL
        return f"http://127.0.0.1:5000/verify/{number}"


def certificate_data(certificate: Certificate, seal_image: bytes | None):
    from exam.certificates.pdf import CertificateData

    return CertificateData(
        number=certificate.number,
        authority=current_app.config["BUREAU_NAME"],
        holder_name=certificate.holder_name,
        id_number_masked=mask_id_number(certificate.id_number),
        enterprise=certificate.enterprise_name,
        role=certificate.role,
        exam_title=certificate.exam_title,
        score=f"{certificate.score:.1f}" if certificate.score is not None else "",
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        verify_url=verify_url(certificate.number),
        seal=seal_image,
        title=CertificateKind.TITLES.get(
            certificate.kind, CertificateKind.TITLES[CertificateKind.SPECIAL_EXAM]
        ),
    )


def certificate_font() -> FontChoice:
    """The font certificates are printed in and where it comes from (raises ``FontMissing``)."""
    return choose_font(current_app.config["CERTIFICATE_FONT"] or None)


def render_backoff(failures: int) -> timedelta:
    """How long to wait after ``failures`` failed renders in a row: 1, 2, 4 … minutes, at most
    an hour."""
    doublings = min(max(failures - 1, 0), 12)  # 2**12 minutes is well past the cap already
    return min(RENDER_RETRY_FIRST * 2**doublings, RENDER_RETRY_MAX)


def render(
    certificate: Certificate,
    now: datetime,
    seal_image: bytes | None | bool = False,
    count_failure: bool = True,
) -> bool:
    """Render and keep the PDF. A failure is kept (the error, and when to try next) for the sweep
    and the organisers, unless ``count_failure`` is false (a download: clicking during an outage
    must not push the retries back)."""
    from exam.certificates.pdf import render_certificate

    try:
        data = certificate_data(certificate, seal() if seal_image is False else seal_image)
        certificate.pdf = render_certificate(data, current_app.config["CERTIFICATE_FONT"] or None)
    except Exception as error:  # noqa: BLE001 - any rendering failure is retried later
        log.exception("rendering certificate %s failed", certificate.number)
        if count_failure:
            certificate.render_failures += 1
            certificate.render_error = str(error)[:500]
            certificate.next_render_at = now + render_backoff(certificate.render_failures)
        return False
    certificate.rendered_at, certificate.render_error = now, None
    certificate.render_failures, certificate.next_render_at = 0, None
    return True


def pdf_of(certificate: Certificate, now: datetime) -> bytes | None:
    """The stored PDF, rendered now if it is not yet (None if that fails: the retry state is
    left to the sweep)."""
    stored = db.session.scalar(select(Certificate.pdf).where(Certificate.id == certificate.id))
    if stored is not None:
        return stored
    return certificate.pdf if render(certificate, now, count_failure=False) else None


def retry_after(certificate: Certificate, now: datetime) -> int:
    """Seconds until the sweep next tries to render ``certificate`` (at least a minute)."""
    first = int(RENDER_RETRY_FIRST.total_seconds())
    if certificate.next_render_at is None:
        return first
    return max(first, math.ceil((certificate.next_render_at - now).total_seconds()))


def waiting_to_render() -> select:
    """Certificates that have no PDF yet, oldest first (the sweep renders those that are due)."""
    return select(Certificate).where(Certificate.rendered_at.is_(None)).order_by(Certificate.id)


def render_due(now: datetime):
    """The SQL condition: no failed render yet, or its back-off is over."""
    return or_(Certificate.next_render_at.is_(None), Certificate.next_render_at <= now)


def render_pending(
    limit: int = 200, now: datetime | None = None, exam_id: int | None = None
) -> int:
    """Render certificates that have no PDF yet and are due (a batch); the number rendered."""
    now = now or utcnow()
    query = waiting_to_render().where(render_due(now))
    if exam_id is not None:
        query = query.where(Certificate.exam_id == exam_id)
    image = seal()
    done = 0
    for certificate in db.session.scalars(query.limit(limit)):
        done += render(certificate, now, image)
    return done


def sweep(now: datetime | None = None) -> tuple[int, int]:
    """The scheduler's job: issue what was not issued, render what was not rendered."""
    now = now or utcnow()
    issued = 0
    for attempt in uncertified_attempts():
        try:
            with db.session.begin_nested():  # one attempt's trouble never undoes the others
                issued += issue_for_attempt(attempt, now) is not None
        except CertificateError:
            log.warning(
                "issuing the certificate of attempt %s met a conflict; next sweep", attempt.id
            )
    db.session.flush()
    return issued, render_pending(now=now)


# --- the public page -------------------------------------------------------------------------


def lookup_allowed(address: str, now: datetime) -> bool:
    """Whether this address may look up another certificate now (and count this one)."""
    since = now - timedelta(minutes=1)
    recent = db.session.scalar(
        select(func.count(PublicLookup.id)).where(
            PublicLookup.address == address, PublicLookup.at > since
        )
    )
    if recent >= current_app.config["VERIFY_PER_MINUTE"]:
        return False
    db.session.add(PublicLookup(address=address, at=now))
    return True


def purge_lookups(now: datetime | None = None) -> int:
    now = now or utcnow()
    return db.session.execute(
        delete(PublicLookup).where(PublicLookup.at < now - timedelta(hours=1))
    ).rowcount


def masked_name(name: str) -> str:
    """王*明, 刘*; names in Latin letters keep their first letter."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def expiring(within_days: int, today: date) -> select:
    """Current certificates whose validity ends within the next ``within_days`` days."""
    return select(Certificate).where(
        Certificate.revoked_at.is_(None),
        Certificate.superseded_at.is_(None),
        Certificate.valid_until >= today,
        Certificate.valid_until <= today + timedelta(days=within_days),
    )


def person_file_part(person: Person) -> dict:
    """The certificates' part of a person's file (``people.signals.person_file``)."""
    query = (
        select(Certificate)
        .where(Certificate.person_id == person.id)
        .order_by(Certificate.issued_at.desc())
    )
    return {"certificates": list(db.session.scalars(query))}


def result_link(attempt: Attempt) -> ResultLink | None:
    """The certificate issued for a passing attempt, for its result page
    (``exams.signals.result_links``); None while there is none in force."""
    certificate = db.session.scalar(
        select(Certificate).where(
            Certificate.attempt_id == attempt.id,
            Certificate.revoked_at.is_(None),
            Certificate.superseded_at.is_(None),
        )
    )
    if certificate is None:
        return None
    return ResultLink(
        gettext("Your certificate"),
        url_for("certificates.mine", _anchor=f"certificate-{certificate.id}"),
        (
            gettext("No. %(number)s", number=certificate.number),
            gettext("valid until %(d)s", d=certificate.valid_until.isoformat()),
        ),
    )
