"""PDF rendering of certificates (合格证明), with reportlab only (the admission notice, 准考证,
in ``notice_pdf``, shares its colours and field table).

Every PDF embeds a subset of one Chinese TrueType font, so it renders the same on a machine
without Chinese fonts. Everything a person typed (names, enterprises, exam titles, rules) is
drawn literally and fitted to its box by the printing primitives of ``exam.core.printing``.

This module knows nothing of Flask or the database: the caller passes plain data.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from exam.core.printing import (
    Run,
    binary_streams,
    chinese_date,
    draw_block,
    draw_fitted,
    draw_heading,
    draw_qr,
    fit_block,
    font_name,
    pdf_canvas,
    printable_line,
)

__all__ = ["CertificateData", "field_table", "render_certificate", "render_certificates"]

DARK_RED = HexColor("#8E1B1B")
GOLD = HexColor("#C29A48")
PALE_GOLD = HexColor("#EEE2C4")
LABEL_FILL = HexColor("#F7F0E1")
PAPER = HexColor("#FFFDF7")
GREY = HexColor("#5A5A5A")
RULE = HexColor("#B9A88A")
NAVY = HexColor("#1F3A5F")
BOX_FILL = HexColor("#F3F6FA")

#: Seals are downscaled to this many pixels on the longer side (~230 dpi at 4 cm): a
#: phone photo of a seal would otherwise be recompressed into every PDF at full size.
SEAL_MAX_PIXELS = 360
SEAL_SIZE = 4 * cm
#: The certificate's field table ends above this height (the QR code and the issuer).
TABLE_FLOOR = 178.0
# --- data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateData:
    """What one certificate says; every string is printed literally."""

    number: str
    authority: str
    holder_name: str
    id_number_masked: str
    enterprise: str
    role: str
    exam_title: str
    score: str
    issued_on: date
    valid_until: date
    verify_url: str
    seal: bytes | None = None
    title: str = "安全生产知识考试合格证明"


# --- images -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _seal_reader(digest: str, data: bytes) -> ImageReader:
    """The seal, keyed by the bytes' hash: downscaled once, flattened onto white and kept as
    a JPEG, which reportlab copies into each PDF as it is (a PNG would be decoded and
    recompressed, with its alpha channel, for every certificate). It is drawn with the
    Multiply blend mode, so its white disappears and the text under it shows through, as
    under a real stamp."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGBA")
    image.thumbnail((SEAL_MAX_PIXELS, SEAL_MAX_PIXELS), Image.Resampling.LANCZOS)
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.getchannel("A"))
    buffer = io.BytesIO()
    flat.save(buffer, format="JPEG", quality=85, subsampling=0)  # 4:4:4 keeps red edges crisp
    buffer.seek(0)
    reader = ImageReader(buffer)
    reader.getRGBData()  # decode now, once; reportlab keeps the result on the reader
    return reader


def _seal(data: bytes) -> ImageReader:
    return _seal_reader(hashlib.sha256(data).hexdigest(), data)


# --- the certificate ----------------------------------------------------------------------


def render_certificate(data: CertificateData, font: str | None = None) -> bytes:
    """One A4 landscape certificate as PDF bytes."""
    name = font_name(font)
    buffer = io.BytesIO()
    with binary_streams():
        c = pdf_canvas(buffer, landscape(A4), name)
        c.setTitle(f"{printable_line(data.title)} {printable_line(data.number)}")
        c.setAuthor(printable_line(data.authority))
        c.setSubject(printable_line(data.exam_title))
        c.setCreator("Anpei")
        _draw_certificate(c, data, name)
        c.showPage()
        c.save()
    return buffer.getvalue()


def render_certificates(
    items: Iterable[CertificateData], font: str | None = None
) -> Iterator[bytes]:
    """One PDF per certificate, lazily."""
    for item in items:
        yield render_certificate(item, font)


def _draw_certificate(c: Canvas, data: CertificateData, font: str) -> None:
    width, height = landscape(A4)
    _certificate_frame(c, width, height)
    _certificate_header(c, data, font, width, height)
    left, right = 78.0, width - 78.0
    body_bottom = _certificate_body(c, data, font, (left, height - 242, right - left, 84))
    table_top = body_bottom - 16
    row_height = max(22.0, min(29.0, (table_top - TABLE_FLOOR) / 6))
    _certificate_table(c, data, font, left, table_top, right - left, row_height)
    _certificate_qr(c, data, font, left, 58)
    _certificate_issuer(c, data, font, right - 120, 108)


def _certificate_frame(c: Canvas, width: float, height: float) -> None:
    """Paper tint, a dark red double border, a gold inner line, corner ornaments, a rosette."""
    c.setFillColor(PAPER)
    c.rect(0, 0, width, height, stroke=0, fill=1)
    c.setStrokeColor(DARK_RED)
    c.setLineWidth(5)
    c.rect(20, 20, width - 40, height - 40, stroke=1, fill=0)
    c.setLineWidth(1)
    c.rect(28, 28, width - 56, height - 56, stroke=1, fill=0)
    c.setStrokeColor(GOLD)
    c.setLineWidth(1.6)
    c.rect(34, 34, width - 68, height - 68, stroke=1, fill=0)
    c.setLineWidth(0.5)
    c.rect(38, 38, width - 76, height - 76, stroke=1, fill=0)
    for cx, cy, sx, sy in (
        (38, 38, 1, 1),
        (width - 38, 38, -1, 1),
        (38, height - 38, 1, -1),
        (width - 38, height - 38, -1, -1),
    ):
        _corner(c, cx, cy, sx, sy)
    _rosette(c, width / 2, height / 2 - 40)


def _corner(c: Canvas, x: float, y: float, sx: int, sy: int) -> None:
    """A gold fret (回纹) ornament in the corner at (x, y) opening towards (sx, sy)."""
    c.setStrokeColor(GOLD)
    c.setLineWidth(1.2)
    path = c.beginPath()
    for step in (8, 16):
        path.moveTo(x + sx * step, y + sy * 34)
        path.lineTo(x + sx * step, y + sy * step)
        path.lineTo(x + sx * 34, y + sy * step)
    c.drawPath(path, stroke=1, fill=0)
    c.setFillColor(DARK_RED)
    c.saveState()
    c.translate(x + sx * 24, y + sy * 24)
    c.rotate(45)
    c.rect(-3, -3, 6, 6, stroke=0, fill=1)
    c.restoreState()


def _rosette(c: Canvas, x: float, y: float) -> None:
    """A faint guilloche-like rosette behind the text."""
    c.saveState()
    c.setStrokeColor(PALE_GOLD)
    c.setLineWidth(0.45)
    c.translate(x, y)
    c.addLiteral(_rosette_path())
    c.circle(0, 0, 178, stroke=1, fill=0)
    c.circle(0, 0, 184, stroke=1, fill=0)
    c.restoreState()


@functools.cache
def _rosette_path(count: int = 30, rx: float = 170, ry: float = 58) -> str:
    """Stroked ellipses rotated about the origin, as PDF operators (computed once)."""
    k = 0.5523
    ellipse = (
        f"{rx} 0 m {rx} {k * ry:.2f} {k * rx:.2f} {ry} 0 {ry} c "
        f"{-k * rx:.2f} {ry} {-rx} {k * ry:.2f} {-rx} 0 c "
        f"{-rx} {-k * ry:.2f} {-k * rx:.2f} {-ry} 0 {-ry} c "
        f"{k * rx:.2f} {-ry} {rx} {-k * ry:.2f} {rx} 0 c S"
    )
    ops = []
    for index in range(count):
        angle = math.pi * index / count
        cos, sin = math.cos(angle), math.sin(angle)
        ops.append(f"q {cos:.4f} {sin:.4f} {-sin:.4f} {cos:.4f} 0 0 cm {ellipse} Q")
    return "\n".join(ops)


def _certificate_header(
    c: Canvas, data: CertificateData, font: str, width: float, height: float
) -> None:
    """The number (top right), the authority, the title and an ornamental rule."""
    draw_fitted(
        c,
        f"证书编号：{printable_line(data.number)}",
        font,
        (width - 354, height - 68, 270, 14),
        10,
        align="right",
        color=GREY,
    )
    draw_fitted(
        c,
        printable_line(data.authority),
        font,
        (140, height - 84, width - 280, 20),
        15,
        align="center",
        color=DARK_RED,
    )
    draw_heading(
        c, printable_line(data.title), font, width / 2, height - 124, 34, width - 200, 8, DARK_RED
    )
    _ornament_rule(c, width / 2, height - 144, 230)


def _ornament_rule(c: Canvas, x: float, y: float, half: float) -> None:
    """Two gold rules with a red diamond between them."""
    c.setStrokeColor(GOLD)
    c.setLineWidth(1.2)
    c.line(x - half, y, x - 12, y)
    c.line(x + 12, y, x + half, y)
    c.setLineWidth(0.5)
    c.line(x - half + 30, y - 4, x - 16, y - 4)
    c.line(x + 16, y - 4, x + half - 30, y - 4)
    c.saveState()
    c.setFillColor(DARK_RED)
    c.translate(x, y - 2)
    c.rotate(45)
    c.rect(-4, -4, 8, 8, stroke=0, fill=1)
    c.restoreState()


def _certificate_body(
    c: Canvas, data: CertificateData, font: str, box: tuple[float, float, float, float]
) -> float:
    """The formal sentence, top-aligned in ``box`` and shrunk to fit; returns where it ends."""
    x, y, width, height = box
    block = fit_block(_body_runs(data), font, width, height, 16, 8, leading=1.75, indent_chars=2)
    draw_block(c, block, font, x, y + height, width, indent_chars=2)
    return y + height - block.height


def _body_runs(data: CertificateData) -> list[Run]:
    """兹证明 X（身份证号 …），系 Y 的 Z，参加 W，成绩合格（N 分），特发此证。 Clauses whose
    values are missing are left out rather than printed with blanks."""

    def value(text: str) -> Run:
        return (f" {text} ", True)

    id_number, enterprise, role, exam, score = (
        printable_line(v)
        for v in (data.id_number_masked, data.enterprise, data.role, data.exam_title, data.score)
    )
    runs: list[Run] = [("兹证明", False), value(printable_line(data.holder_name))]
    if id_number:
        runs += [("（身份证号", False), value(id_number), ("）", False)]
    if enterprise and role:
        runs += [("，系", False), value(enterprise), ("的", False), value(role)]
    elif enterprise:
        runs += [("，系", False), value(enterprise), ("从业人员", False)]
    elif role:
        runs += [("，系", False), value(role)]
    if exam:
        runs += [("，参加", False), value(exam)]
    if score:
        runs += [("，成绩合格（", False), value(score), ("分），特发此证。", False)]
    else:
        runs += [("，成绩合格，特发此证。", False)]
    return runs


def _certificate_table(
    c: Canvas,
    data: CertificateData,
    font: str,
    x: float,
    top: float,
    width: float,
    row_height: float,
) -> None:
    """Nine fields in a ruled two-column table (label cells tinted)."""
    issued, valid = chinese_date(data.issued_on), chinese_date(data.valid_until)
    score = f"{printable_line(data.score)} 分" if printable_line(data.score) else "合格"
    rows: list[tuple[tuple[str, str], ...]] = [
        (("持证人", data.holder_name), ("身份证号", data.id_number_masked)),
        (("工作单位", data.enterprise),),
        (("岗　　位", data.role), ("考试成绩", score)),
        (("考试名称", data.exam_title),),
        (("证书编号", data.number), ("发证日期", issued)),
        (("有效期至", valid), ("发证机关", data.authority)),
    ]
    field_table(c, font, rows, x, top, width, row_height, label_width=80.0, size=12)


def field_table(
    c: Canvas,
    font: str,
    rows: Sequence[tuple[tuple[str, str], ...]],
    x: float,
    top: float,
    width: float,
    row_height: float,
    label_width: float,
    size: float,
) -> float:
    """Rows of (label, value) pairs, one or two per row; returns the table's bottom."""
    y = top
    c.setLineWidth(0.6)
    for row in rows:
        y -= row_height
        cell = width / len(row)
        for index, (label, value) in enumerate(row):
            cx = x + index * cell
            c.setFillColor(LABEL_FILL)
            c.setStrokeColor(RULE)
            c.rect(cx, y, label_width, row_height, stroke=1, fill=1)
            c.rect(cx + label_width, y, cell - label_width, row_height, stroke=1, fill=0)
            draw_fitted(
                c,
                label,
                font,
                (cx + 4, y + 1, label_width - 8, row_height - 2),
                size,
                align="center",
                color=GREY,
            )
            draw_fitted(
                c,
                printable_line(value),
                font,
                (cx + label_width + 8, y + 1, cell - label_width - 14, row_height - 2),
                size,
            )
    c.setStrokeColor(GOLD)
    c.setLineWidth(1.2)
    c.rect(x, y, width, top - y, stroke=1, fill=0)
    return y


def _certificate_qr(c: Canvas, data: CertificateData, font: str, x: float, y: float) -> None:
    size = 84.0
    draw_qr(c, data.verify_url, x, y, size)
    text_x = x + size + 10
    draw_fitted(c, "扫码验证真伪", font, (text_x, y + 54, 220, 18), 12, color=DARK_RED)
    draw_fitted(c, f"证书编号：{printable_line(data.number)}", font, (text_x, y + 34, 220, 16), 10)
    draw_fitted(c, "亦可登录以下网址查验：", font, (text_x, y + 17, 220, 14), 8.5, color=GREY)
    draw_fitted(c, printable_line(data.verify_url), font, (text_x, y + 2, 220, 14), 8.5, color=GREY)


def _certificate_issuer(
    c: Canvas, data: CertificateData, font: str, centre_x: float, y: float
) -> None:
    """The issuing authority and the issue date, the seal (if any) stamped over them."""
    draw_fitted(
        c, printable_line(data.authority), font, (centre_x - 130, y, 260, 22), 15, align="center"
    )
    draw_fitted(
        c, chinese_date(data.issued_on), font, (centre_x - 130, y - 26, 260, 20), 13, align="center"
    )
    if data.seal:
        c.saveState()
        c.setBlendMode("Multiply")
        c.drawImage(
            _seal(data.seal),
            centre_x - SEAL_SIZE / 2,
            y - 2 - SEAL_SIZE / 2,
            SEAL_SIZE,
            SEAL_SIZE,
            preserveAspectRatio=True,
            anchor="c",
        )
        c.restoreState()
