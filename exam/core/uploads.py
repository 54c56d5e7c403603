"""Uploads: what the web app tells a user about a file it cannot read, downloads, and files
kept between a check and its confirmation."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import Response, flash
from flask_babel import gettext as _
from sqlalchemy import JSON, ForeignKey, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from exam.core.errors import catalogue, message
from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime, utcnow
from question_bank.spreadsheets import SpreadsheetError

#: How long a checked upload waits for its owner's confirmation (it may hold ID numbers).
PENDING_FOR = timedelta(hours=1)


class PendingImport(db.Model):
    """An uploaded file that passed the check and waits for the uploader to confirm it.

    Kept in the database, not on local disk, so the confirmation may reach any app host.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: What the upload is for: ``people`` or ``questions``.
    purpose: Mapped[str] = mapped_column(String(20), default="people")
    filename: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: What the uploader chose while checking it (for questions: topics for its categories),
    #: kept so that nothing is lost between the check and the confirmation.
    choices: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def forget_pending_imports(older_than: datetime) -> int:
    """Delete uploads that were never confirmed (they hold ID numbers: keep them briefly)."""
    result = db.session.execute(delete(PendingImport).where(PendingImport.created_at < older_than))
    return result.rowcount or 0


#: Why a spreadsheet upload was refused (``question_bank.spreadsheets.SpreadsheetError``).
catalogue(
    "uploads",
    {
        "empty": lambda **p: _("The file is empty."),
        "old_xls": lambda **p: _(
            "Old .xls files are not accepted. In Excel choose “Save as” → "
            "“Excel workbook (.xlsx)” and upload that."
        ),
        "not_spreadsheet": lambda **p: _(
            "This file is not a spreadsheet. Upload an .xlsx or .csv file made from the template."
        ),
        "encoding": lambda **p: _(
            "The CSV file's text encoding is not recognised. Save it as UTF-8."
        ),
        "too_many_rows": lambda **p: _("The file has more than %(limit)s rows; split it.", **p),
        "zip_bomb": lambda **p: _(
            "The file would unpack to far more data than a spreadsheet holds; it is refused."
        ),
        "formula": lambda **p: _(
            "Cell %(cell)s of sheet “%(sheet)s” holds a formula. Copy the sheet "
            "and paste it as values, then upload again.",
            **p,
        ),
        "cell_too_long": lambda **p: _(
            "Cell %(cell)s of sheet “%(sheet)s” holds more than %(limit)s characters.", **p
        ),
    },
)


def spreadsheet_error_message(error: SpreadsheetError) -> str:
    """The reason a spreadsheet was refused, in the user's language."""
    return message(error.reason, "uploads", **error.params)


def download(data: bytes, filename: str, mimetype: str):
    """A file download with a Chinese file name that every browser keeps."""
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def keep_pending(user, purpose: str, filename: str, data: bytes):
    """Keep a checked upload until its owner confirms it (and forget stale ones)."""
    forget_pending_imports(utcnow() - PENDING_FOR)
    pending = PendingImport(
        token=secrets.token_hex(16),
        user_id=user.id,
        purpose=purpose,
        filename=filename[-200:],
        data=data,
    )
    db.session.add(pending)
    return pending


def find_pending(token: str | None, user, purpose: str):
    """The upload waiting under ``token`` for ``user``, left waiting; or None."""
    return (
        db.session.scalar(
            select(PendingImport).where(
                PendingImport.token == token,
                PendingImport.user_id == user.id,
                PendingImport.purpose == purpose,
                PendingImport.created_at >= utcnow() - PENDING_FOR,
            )
        )
        if token
        else None
    )


def not_pending_any_more() -> None:
    """Tell the user the upload they confirm is gone."""
    flash(
        _(
            "That import is no longer waiting for confirmation (it may have been imported "
            "already); upload the file again if needed."
        ),
        "warning",
    )


def claim_pending(token: str | None, user, purpose: str):
    """Take the upload waiting under ``token`` for ``user``, or None (and tell them why).

    Of two confirmations racing, only the one whose DELETE removes the row gets the upload.
    """
    pending = find_pending(token, user, purpose)
    if (
        pending
        and db.session.execute(delete(PendingImport).where(PendingImport.id == pending.id)).rowcount
        == 1
    ):
        return pending
    db.session.rollback()
    not_pending_any_more()
    return None
