"""The lesson file store: checked uploads kept under their content hash, outside the web root.

An upload is read in chunks into a temporary file in the store (stopping at the size limit),
hashed, and checked by its content - a PDF must open with PDFium and have 1 to ``MAX_PAGES``
pages, a video must be MP4 (an ``ftyp`` box) or WebM (EBML with the ``webm`` doc type). Only
then are its files moved into place: a PDF's pages as PNG pictures first (phones that cannot
show a PDF inline see those), the file itself last, and the row is added after both. A crash
in between leaves at worst a file with no row (harmless: the next upload of the same content
writes it again), never a row without its file.

Refusals raise ``LearningError`` with one of these codes and leave nothing behind:
``empty``, ``too_big`` (param ``mb``), ``not_pdf``, ``not_video``, ``too_many_pages``
(param ``limit``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from exam.core.extensions import db
from exam.learning.errors import LearningError
from exam.learning.models import LessonFile, LessonKind

MAX_PAGES = 300
#: Width of a PDF page's picture; a very tall page is scaled down to ``PAGE_MAX_HEIGHT``.
PAGE_WIDTH = 1000
PAGE_MAX_HEIGHT = 4000
CHUNK = 1024 * 1024
EXTENSIONS = {"application/pdf": ".pdf", "video/mp4": ".mp4", "video/webm": ".webm"}
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
STALE_SECONDS = 24 * 3600


def storage_root() -> Path:
    """The store's folder (created on first use)."""
    root = Path(current_app.config["LEARNING_STORAGE"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def max_bytes() -> int:
    """The largest lesson file accepted (``LESSON_MAX_BYTES`` overrides the MB setting in tests)."""
    config = current_app.config
    return config.get("LESSON_MAX_BYTES") or config["LESSON_MAX_MB"] * 1024 * 1024


def file_path(lesson_file: LessonFile) -> Path:
    """Where the file's content is kept."""
    sha = lesson_file.sha256
    return storage_root() / sha[:2] / f"{sha}{EXTENSIONS.get(lesson_file.content_type, '')}"


def page_path(lesson_file: LessonFile, page: int) -> Path:
    """The picture of a PDF's page (1-based)."""
    sha = lesson_file.sha256
    return storage_root() / sha[:2] / f"{sha}.p{page}.png"


def store_upload(stream, original_name: str, kind: str, user) -> LessonFile:
    """Check and keep an uploaded PDF or video; the existing row when the same content is stored."""
    root = storage_root()
    _forget_stale_uploads(root)
    handle = tempfile.NamedTemporaryFile(dir=root, prefix=".upload-", delete=False)  # noqa: SIM115
    temporary = Path(handle.name)
    written: list[Path] = []
    try:
        with handle:
            sha, size = _copy(stream, handle)
        existing = db.session.scalar(select(LessonFile).where(LessonFile.sha256 == sha))
        if existing is not None and _kind_of(existing) == kind and file_path(existing).is_file():
            return existing
        if kind == LessonKind.PDF:
            content_type, pages = "application/pdf", _check_pdf(temporary)
        elif kind == LessonKind.VIDEO:
            content_type, pages = _video_type(temporary), 0
        else:
            raise ValueError(f"no files for lessons of kind {kind!r}")
        target = root / sha[:2] / f"{sha}{EXTENSIONS[content_type]}"
        target.parent.mkdir(exist_ok=True)
        if pages:  # drawing the first page proves PDFium can draw it; the others come when opened
            written = [_render_page(temporary, sha, target.parent, 1)]
        os.replace(temporary, target)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    finally:
        temporary.unlink(missing_ok=True)  # gone already once moved into place
    if existing is not None:  # its row was there, its file was not: now it is again
        return existing
    return _add_row(sha, original_name, content_type, size, pages, user)


def _forget_stale_uploads(root: Path) -> None:
    """Remove what uploads cut short by a crash left behind (a day old: none is still running)."""
    cutoff = time.time() - STALE_SECONDS
    for path in [*root.glob(".upload-*"), *root.glob("*/.*.part")]:
        with contextlib.suppress(OSError):  # another worker may be removing it too
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _kind_of(lesson_file: LessonFile) -> str:
    return LessonKind.PDF if lesson_file.content_type == "application/pdf" else LessonKind.VIDEO


def _copy(stream, handle) -> tuple[str, int]:
    """Copy the upload, hashing it; refuse it as soon as it passes the limit."""
    limit, size, digest = max_bytes(), 0, hashlib.sha256()
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise LearningError("too_big", mb=round(limit / 1024 / 1024, 1))
        digest.update(chunk)
        handle.write(chunk)
    if size == 0:
        raise LearningError("empty")
    return digest.hexdigest(), size


def _check_pdf(path: Path) -> int:
    """The page count of a PDF PDFium can open (anything else is refused)."""
    import pypdfium2 as pdfium

    with path.open("rb") as fh:
        if b"%PDF-" not in fh.read(1024):
            raise LearningError("not_pdf")
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        raise LearningError("not_pdf") from error
    try:
        pages = len(document)
    finally:
        document.close()
    if pages < 1:
        raise LearningError("not_pdf")
    if pages > MAX_PAGES:
        raise LearningError("too_many_pages", limit=MAX_PAGES)
    return pages


def _video_type(path: Path) -> str:
    """MP4 or WebM by their first bytes, whatever the name or the claimed type."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head[4:8] == b"ftyp" and _mp4_boxes_ok(head):
        return "video/mp4"
    if head.startswith(EBML_MAGIC) and b"webm" in head[:64]:
        return "video/webm"
    raise LearningError("not_video")


#: What may follow the ``ftyp`` box of an MP4 file.
MP4_BOXES = {
    b"moov",
    b"mdat",
    b"free",
    b"skip",
    b"wide",
    b"uuid",
    b"pdin",
    b"moof",
    b"styp",
    b"sidx",
    b"meta",
}


def _mp4_boxes_ok(head: bytes) -> bool:
    """An ``ftyp`` box of a sane size with a printable brand, followed by a known box: not just
    any file (an HTML page, say) that happens to have "ftyp" at bytes 4-8."""
    size = int.from_bytes(head[0:4], "big")
    brand = head[8:12]
    if not 16 <= size <= 256 or len(head) < size + 8 or not all(32 <= b < 127 for b in brand):
        return False
    return head[size + 4 : size + 8] in MP4_BOXES


def _render_page(pdf: Path, sha: str, folder: Path, number: int) -> Path:
    """One page (1-based) as a PNG about ``PAGE_WIDTH`` pixels wide, written atomically."""
    import pypdfium2 as pdfium

    final = folder / f"{sha}.p{number}.png"
    document = pdfium.PdfDocument(str(pdf))
    try:
        page = document[number - 1]
        try:
            width, height = page.get_size()
            scale = min(PAGE_WIDTH / max(width, 1), PAGE_MAX_HEIGHT / max(height, 1))
            image = page.render(scale=scale).to_pil()
        finally:
            page.close()
    except pdfium.PdfiumError as error:
        raise LearningError("not_pdf") from error
    finally:
        document.close()
    # Another worker may be drawing the same page: each writes its own file, the last one wins.
    partial = folder / f".{sha}.p{number}.{os.getpid()}.{time.monotonic_ns()}.part"
    try:
        image.save(partial, format="PNG", optimize=True)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final


def page_image(lesson_file: LessonFile, page: int) -> Path:
    """The picture of a PDF lesson's page, drawn the first time someone opens it (drawing every
    page of a long PDF during the upload would outlast a web worker's timeout)."""
    path = page_path(lesson_file, page)
    if not path.is_file():
        _render_page(file_path(lesson_file), lesson_file.sha256, path.parent, page)
    return path


def _add_row(
    sha: str, original_name: str, content_type: str, size: int, pages: int, user
) -> LessonFile:
    """The row, added once its files are in place; a parallel upload of the same file wins."""
    row = LessonFile(
        sha256=sha,
        original_name=(original_name or "")[-200:],
        content_type=content_type,
        size=size,
        pages=pages,
        created_by_id=getattr(user, "id", None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return db.session.scalars(select(LessonFile).where(LessonFile.sha256 == sha)).one()
    return row
