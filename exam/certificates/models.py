"""Certificates, the bureau's settings for them, and public lookups (for rate limiting)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime, utcnow


class CertificateKind:
    """Kinds of certificate; a person holds at most one valid certificate of each kind."""

    SPECIAL_EXAM = "special_exam"
    TITLES = {SPECIAL_EXAM: "安全生产知识考试合格证明"}
    LABELS = {SPECIAL_EXAM: _l("Special exam certificate")}


class CertificateStatus:
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    LABELS = {
        VALID: _l("Valid"),
        EXPIRED: _l("Expired"),
        REVOKED: _l("Revoked"),
        SUPERSEDED: _l("Superseded"),
    }
    COLOURS = {VALID: "success", EXPIRED: "secondary", REVOKED: "danger", SUPERSEDED: "secondary"}


class Certificate(db.Model):
    """A certificate as issued: what it says is kept as printed (a later correction of the
    person's name makes a new certificate that supersedes this one)."""

    __table_args__ = (
        # One valid (not revoked, not superseded) certificate per person and kind, on both databases.
        Index(
            "uq_certificate_current",
            "person_id",
            "kind",
            unique=True,
            postgresql_where=text("revoked_at IS NULL AND superseded_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL AND superseded_at IS NULL"),
        ),
        # The reports' 100% tracker reads every person's current certificate and latest
        # revocation from these alone (index only on PostgreSQL; migration 0011).
        Index(
            "ix_certificate_current_until",
            "person_id",
            "kind",
            postgresql_include=["valid_until"],
            postgresql_where=text("revoked_at IS NULL AND superseded_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL AND superseded_at IS NULL"),
        ),
        Index(
            "ix_certificate_revoked",
            "person_id",
            "kind",
            postgresql_include=["revoked_at"],
            postgresql_where=text("revoked_at IS NOT NULL"),
            sqlite_where=text("revoked_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Printed and typed to verify: random, never sequential (e.g. AP2026-7K3MQ-9XD2P).
    number: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(30), default=CertificateKind.SPECIAL_EXAM)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("attempt.id", ondelete="SET NULL"), index=True
    )
    exam_id: Mapped[int | None] = mapped_column(
        ForeignKey("exam.id", ondelete="SET NULL"), index=True
    )
    holder_name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18))
    enterprise_name: Mapped[str] = mapped_column(String(200))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str] = mapped_column(String(30))
    exam_title: Mapped[str] = mapped_column(String(200))
    score: Mapped[float | None]
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The organiser who issued it by hand (None: issued automatically on passing).
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: The PDF as rendered (None until rendered: the scheduler retries failures).
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Failed renders in a row (the sweep's back-off grows with it; a success resets it).
    render_failures: Mapped[int] = mapped_column(default=0)
    #: The last failed render's error, in the words of the exception (organisers see it).
    render_error: Mapped[str | None] = mapped_column(String(500))
    #: When the sweep may try rendering again after a failure (None: whenever it comes by).
    next_render_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificate.id", ondelete="SET NULL")
    )

    person = relationship("Person")
    exam = relationship("Exam")
    superseded_by = relationship("Certificate", remote_side="Certificate.id")

    def status(self, today: date) -> str:
        if self.revoked_at is not None:
            return CertificateStatus.REVOKED
        if self.superseded_at is not None:
            return CertificateStatus.SUPERSEDED
        return CertificateStatus.EXPIRED if today > self.valid_until else CertificateStatus.VALID


class SiteSetting(db.Model):
    """Settings the bureau changes in the site itself (the seal image on certificates)."""

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    text_value: Mapped[str | None] = mapped_column(String(500))
    blob_value: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PublicLookup(db.Model):
    """One lookup on the public verification page, kept briefly to rate-limit by address."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
