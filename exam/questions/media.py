"""Images in questions: uploaded by editors, served from the database to anyone logged in."""

from __future__ import annotations

import hashlib

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from exam.audit.services import record
from exam.auth.access import MANAGERS, roles_required
from exam.core.extensions import db
from exam.questions.models import QuestionMedia
from question_bank.text import MEDIA_PREFIX

#: What a picture's first bytes say it is; nothing else is accepted, whatever its name.
SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"GIF87a": ("image/gif", "gif"),
    b"GIF89a": ("image/gif", "gif"),
}
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def sniff(data: bytes) -> tuple[str, str] | None:
    return next((kind for magic, kind in SIGNATURES.items() if data.startswith(magic)), None)


@roles_required(*MANAGERS)
def upload_media():
    """Store an uploaded picture; answers with the snippet to put into a question."""
    upload = request.files.get("image")
    data = upload.read(MAX_IMAGE_BYTES + 1) if upload else b""
    kind = sniff(data)
    if not data or kind is None:
        return jsonify(error=_("Only PNG, JPEG or GIF pictures can be used.")), 422
    if len(data) > MAX_IMAGE_BYTES:
        return jsonify(error=_("The picture is larger than 2 MB.")), 413
    content_type, extension = kind
    name = f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}"
    if db.session.scalar(select(QuestionMedia.id).where(QuestionMedia.name == name)) is None:
        media = QuestionMedia(
            name=name, content_type=content_type, data=data, created_by_id=current_user.id
        )
        db.session.add(media)
        record("question_media.upload", media, name)
        db.session.commit()
    url = f"{MEDIA_PREFIX}{name}"
    return jsonify(url=url, snippet=f'<img src="{url}" alt="">')


@login_required
def media(name: str):
    item = db.session.scalar(select(QuestionMedia).where(QuestionMedia.name == name)) or abort(404)
    response = Response(item.data, mimetype=item.content_type)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
