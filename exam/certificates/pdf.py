"""PDF rendering of certificates (合格证明) and admission notices (准考证), with reportlab only.

Every PDF embeds a subset of one Chinese TrueType font (WenQuanYi Micro Hei, shipped by the
``paperang-p2-fonts-cjk`` package), so it renders the same on a machine without Chinese fonts.
Everything a person typed (names, enterprises, exam titles, rules) is drawn literally with
``canvas.drawString``: no reportlab ``Paragraph``, so no markup is ever interpreted and
``<b>王</b>&amp;`` prints as just that. Flowing text is laid out here (line breaks between
Chinese characters and Latin words, no closing punctuation at the start of a line, justified);
text too long for its box is wrapped and shrunk, never allowed to run off the page.

This module knows nothing of Flask or the database: the caller passes plain data.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from reportlab import rl_config
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.barcode.qrencoder import QRCode, QRUtil
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4, landscape, portrait
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = [
    "AdmissionData",
    "CertificateData",
    "FontMissing",
    "font_path",
    "missing_characters",
    "render_admission_notice",
    "render_admission_notices",
    "render_certificate",
    "render_certificates",
]

PACKAGED_FONT = ("paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc")
SYSTEM_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

DARK_RED = HexColor("#8E1B1B")
GOLD = HexColor("#C29A48")
PALE_GOLD = HexColor("#EEE2C4")
LABEL_FILL = HexColor("#F7F0E1")
PAPER = HexColor("#FFFDF7")
INK = HexColor("#1E1E1E")
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
#: Filled-in values up to this many characters are kept on one line.
KEEP_TOGETHER = 8
#: Smallest font size text is shrunk to before it is cut short with an ellipsis.
MIN_FONT_SIZE = 5.0


class FontMissing(Exception):
    """No usable Chinese TrueType font: certificates cannot be rendered."""


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


@dataclass(frozen=True)
class AdmissionData:
    """What one admission notice (准考证) says; every string is printed literally."""

    number: str
    authority: str
    candidate_name: str
    id_number_masked: str
    enterprise: str
    role: str
    exam_title: str
    window: str
    duration_minutes: int
    site_url: str
    login: str
    initial_password: str | None
    rules: tuple[str, ...]


# --- fonts --------------------------------------------------------------------------------


def font_path(configured: str | None = None) -> str:
    """The Chinese TrueType font to embed: ``configured`` if given (it must exist), else the
    packaged WenQuanYi Micro Hei, else Debian's ``fonts-wqy-microhei``."""
    if configured:
        if not Path(configured).is_file():
            raise FontMissing(
                f"the configured certificate font {configured!r} does not exist "
                "(give the path of a TrueType .ttf/.ttc with Chinese glyphs, or "
                "leave it unset to use the packaged WenQuanYi Micro Hei)"
            )
        return str(configured)
    packaged = _packaged_font()
    if packaged:
        return packaged
    if SYSTEM_FONT.is_file():
        return str(SYSTEM_FONT)
    raise FontMissing(
        "no Chinese font for certificates: install the Python package "
        "paperang-p2-fonts-cjk (or Debian's fonts-wqy-microhei), or configure "
        "the path of a TrueType font with Chinese glyphs"
    )


def _packaged_font() -> str | None:
    package, name = PACKAGED_FONT
    try:
        candidate = resources.files(package).joinpath(name)
    except ModuleNotFoundError:
        return None
    if isinstance(candidate, Path) and candidate.is_file():
        return str(candidate)
    return None


_font_lock = threading.Lock()


@functools.cache
def _registered_font(path: str) -> str:
    """Register the font at ``path`` with reportlab (once per process) and return its name."""
    name = "AnpeiCJK-" + hashlib.sha1(path.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
    with _font_lock:
        if name in pdfmetrics.getRegisteredFontNames():
            return name
        options = {"subfontIndex": 0} if path.lower().endswith((".ttc", ".otc")) else {}
        try:
            pdfmetrics.registerFont(TTFont(name, path, **options))
        except (TTFError, OSError) as error:
            raise FontMissing(
                f"cannot use {path!r} as the certificate font: {error} "
                "(reportlab embeds TrueType outlines only, not CFF/OpenType-"
                "PostScript fonts such as Noto CJK)"
            ) from error
    return name


def _font(configured: str | None) -> str:
    return _registered_font(font_path(configured))


def missing_characters(text: str, font: str | None = None) -> str:
    """The characters of ``text`` the font has no glyph for, which would print blank: a
    caller can warn before issuing (a rare character (生僻字) in a name, say 𠮷 or 䶮, which
    WenQuanYi Micro Hei lacks)."""
    face = pdfmetrics.getFont(_font(font)).face
    absent = (ch for ch in _clean(text) if not ch.isspace() and ord(ch) not in face.charToGlyph)
    return "".join(dict.fromkeys(absent))


_stream_lock = threading.RLock()


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Write binary (not ASCII85) streams while rendering. reportlab ASCII85-encodes every
    stream by default, in pure Python unless the optional ``rl_accel`` extension is
    installed: that took a third of the render time and made each PDF a quarter larger.
    The setting is global, so it is switched off only for the duration of a render (either
    setting yields a valid PDF, for any other reportlab user meanwhile). The lock also keeps
    renders from sharing the cached seal reader, whose file position reportlab moves."""
    with _stream_lock:
        previous = rl_config.useA85
        rl_config.useA85 = 0
        try:
            yield
        finally:
            rl_config.useA85 = previous


def _canvas(buffer: io.BytesIO, pagesize: tuple[float, float], font: str) -> Canvas:
    # The initial font is ours, so no (unembedded) Helvetica is referenced.
    return Canvas(
        buffer, pagesize=pagesize, pageCompression=1, initialFontName=font, initialFontSize=10
    )


# --- text helpers -------------------------------------------------------------------------


def _clean(text: object) -> str:
    """``text`` as one printable line: control characters and lone surrogates become spaces."""
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch for ch in str(text)
    ).strip()


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


#: Chinese characters and full-width forms: a line may break before or after any of them.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
#: A run of spaces, a Latin word or number (kept together), or one other character.
_TOKEN = re.compile(rf"\s+|[^\s{_CJK}]+|.", re.DOTALL)
_LATIN_WORD = re.compile(rf"[^\s{_CJK}]+")
#: Punctuation that must not start a line, and punctuation that must not end one (禁则).
_NO_START = frozenset("，。、；：？！）】》」』〉〕”’…—·%,.;:?!)]}")
_NO_END = frozenset("（【《「『〈〔“‘([{")

#: A piece of text and whether it is underlined (a filled-in value).
Run = tuple[str, bool]
#: A laid-out token: its text, whether it is underlined, its width.
_Token = tuple[str, bool, float]


def _tokens(runs: Iterable[Run], font: str, size: float, width: float) -> list[_Token]:
    tokens: list[_Token] = []
    for text, underlined in runs:
        # A short filled-in value (a name, a post, a score) is not broken across lines.
        whole = underlined and len(text.strip()) <= KEEP_TOGETHER
        pieces = re.findall(r"\s+|\S+", text) if whole else _TOKEN.findall(text)
        for token in pieces:
            token_width = _width(token, font, size)
            if token_width > width and len(token) > 1:  # longer than a line: break anywhere
                tokens.extend((ch, underlined, _width(ch, font, size)) for ch in token)
            else:
                tokens.append((token, underlined, token_width))
    return tokens


def _break_lines(
    runs: Iterable[Run],
    font: str,
    size: float,
    width: float,
    indent: float = 0.0,
    squeeze: bool = True,
) -> list[list[_Token]]:
    """Greedy line breaking (between Chinese characters and between Latin words) that keeps
    closing punctuation off the start of a line and opening punctuation off its end. With
    ``squeeze`` a line may be a little too long, for a justified line closes it up."""
    lines: list[list[_Token]] = []
    line: list[_Token] = []
    used = indent
    pending = _tokens(runs, font, size, width - indent)
    pending.reverse()
    while pending:
        token = pending.pop()
        text, underlined, token_width = token
        if text.isspace() and not line:
            continue
        if (
            line
            and used + token_width > width
            and len(text) > 1
            and _LATIN_WORD.fullmatch(text)
            and width - used > size * 3
        ):
            # A long number or word would leave a wide gap: break it (an ID number or a
            # URL may break anywhere in Chinese text).
            cut = _longest_prefix(text, font, size, width - used)
            pending.append((text[cut:], underlined, _width(text[cut:], font, size)))
            token = (text[:cut], underlined, _width(text[:cut], font, size))
            text, token_width = token[0], token[2]
        if (
            squeeze
            and line
            and used + token_width > width
            and text in _NO_START
            and used + token_width - width <= min(2 * size, 0.08 * size * len(line))
        ):
            # Closing punctuation squeezes into the line (justification closes it up, by
            # less than a tenth of a character each) rather than pushing a word down.
            line.append(token)
            used += token_width
            continue
        if line and used + token_width > width and not text.isspace():
            carry = [token]
            _drop_trailing_spaces(line)
            while len(line) > 1 and carry[0][0][0] in _NO_START:
                carry.insert(0, line.pop())
                _drop_trailing_spaces(line)
            while len(line) > 1 and line[-1][0][-1] in _NO_END:
                carry.insert(0, line.pop())
                _drop_trailing_spaces(line)
            lines.append(line)
            line, used = carry, sum(t[2] for t in carry)
            continue
        line.append(token)
        used += token_width
    _drop_trailing_spaces(line)
    if line:
        lines.append(line)
    return lines or [[]]


def _drop_trailing_spaces(line: list[_Token]) -> None:
    while line and line[-1][0].isspace():
        line.pop()


def _longest_prefix(text: str, font: str, size: float, width: float) -> int:
    """How many leading characters of ``text`` fit ``width`` (at least one)."""
    cut = 1
    while cut < len(text) and _width(text[: cut + 1], font, size) <= width:
        cut += 1
    return cut


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    return [
        "".join(token[0] for token in line)
        for line in _break_lines([(text, False)], font, size, width, squeeze=False)
    ]


def _draw_line(
    c: Canvas,
    line: list[_Token],
    font: str,
    size: float,
    x: float,
    y: float,
    width: float,
    justify: bool,
) -> None:
    """One laid-out line at (x, y); justified to ``width`` by spacing its characters."""
    natural = sum(token[2] for token in line)
    count = sum(len(token[0]) for token in line)
    spacing = (width - natural) / (count - 1) if (justify or natural > width) and count > 1 else 0.0
    if spacing > size * 0.6:  # a nearly empty line: leave it ragged rather than gappy
        spacing = 0.0
    c.setFont(font, size)
    for underlined, group in itertools.groupby(line, key=lambda token: token[1]):
        pieces = list(group)
        text = "".join(token[0] for token in pieces)
        advance = sum(token[2] for token in pieces) + spacing * len(text)
        c.drawString(x, y, text, charSpace=spacing)
        if underlined:
            c.setLineWidth(size * 0.05)
            c.line(x, y - size * 0.2, x + advance - spacing, y - size * 0.2)
        x += advance


@dataclass(frozen=True)
class _Block:
    """A paragraph laid out at one size."""

    size: float
    lines: list[list[_Token]]
    leading: float

    @property
    def height(self) -> float:
        return len(self.lines) * self.leading


def _layout(
    runs: Sequence[Run],
    font: str,
    width: float,
    size: float,
    leading: float,
    indent_chars: float = 0.0,
) -> _Block:
    lines = _break_lines(runs, font, size, width, indent_chars * size)
    return _Block(size, lines, size * leading)


def _draw_block(
    c: Canvas,
    block: _Block,
    font: str,
    x: float,
    top: float,
    width: float,
    indent_chars: float = 0.0,
    color: Color = INK,
) -> None:
    """Draw ``block`` from ``top`` down, justified except its last line."""
    c.setFillColor(color)
    c.setStrokeColor(color)
    indent = indent_chars * block.size
    for index, line in enumerate(block.lines):
        shift = indent if index == 0 else 0.0
        baseline = top - block.size * 0.95 - index * block.leading
        _draw_line(
            c,
            line,
            font,
            block.size,
            x + shift,
            baseline,
            width - shift,
            justify=index < len(block.lines) - 1,
        )


def _ellipsize(text: str, font: str, size: float, width: float) -> str:
    if _width(text, font, size) <= width:
        return text
    while text and _width(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


@dataclass(frozen=True)
class _Fitted:
    size: float
    lines: tuple[str, ...]
    leading: float


def _fit(
    text: str, font: str, width: float, height: float, size: float, min_single: float | None = None
) -> _Fitted:
    """The largest size (from ``size`` down) at which ``text`` fits the box: on one line if
    possible down to ``min_single``, else wrapped; cut short at ``MIN_FONT_SIZE``."""
    min_single = size * 0.8 if min_single is None else min_single
    current = size
    while current >= min_single:
        if _width(text, font, current) <= width and current * 1.15 <= height:
            return _Fitted(current, (text,), current * 1.2)
        current -= 0.5
    current = size
    while current >= MIN_FONT_SIZE:
        lines = _wrap(text, font, current, width)
        if len(lines) * current * 1.2 <= height + current * 0.2:
            return _Fitted(current, tuple(lines), current * 1.2)
        current -= 0.5
    rows = max(1, int((height + MIN_FONT_SIZE * 0.2) // (MIN_FONT_SIZE * 1.2)))
    lines = _wrap(text, font, MIN_FONT_SIZE, width)
    kept = lines[:rows]
    if len(lines) > rows:
        kept[-1] = _ellipsize(kept[-1] + lines[rows], font, MIN_FONT_SIZE, width)
    return _Fitted(MIN_FONT_SIZE, tuple(kept), MIN_FONT_SIZE * 1.2)


def _draw_fitted(
    c: Canvas,
    text: str,
    font: str,
    box: tuple[float, float, float, float],
    size: float,
    align: str = "left",
    color: Color = INK,
    min_single: float | None = None,
) -> None:
    """Draw ``text`` fitted into ``box`` (x, y, width, height), vertically centred."""
    x, y, width, height = box
    fitted = _fit(text, font, width, height, size, min_single)
    block = fitted.leading * (len(fitted.lines) - 1) + fitted.size * 0.78
    baseline = y + (height + block) / 2 - fitted.size * 0.78
    c.setFillColor(color)
    c.setFont(font, fitted.size)
    for index, line in enumerate(fitted.lines):
        line_y = baseline - index * fitted.leading
        if align == "center":
            c.drawCentredString(x + width / 2, line_y, line)
        elif align == "right":
            c.drawRightString(x + width, line_y, line)
        else:
            c.drawString(x, line_y, line)


def _draw_heading(
    c: Canvas,
    text: str,
    font: str,
    centre_x: float,
    baseline: float,
    size: float,
    max_width: float,
    spacing: float,
    color: Color,
) -> None:
    """A centred heading in faux bold (filled and stroked), letter-spaced, shrunk to fit."""

    def measured(sz: float, sp: float) -> float:
        return _width(text, font, sz) + sp * max(len(text) - 1, 0)

    while measured(size, spacing) > max_width and spacing > 0:
        spacing = max(0.0, spacing - 1)
    while measured(size, spacing) > max_width and size > MIN_FONT_SIZE:
        size -= 0.5
    shown = (
        text if measured(size, spacing) <= max_width else _ellipsize(text, font, size, max_width)
    )
    c.saveState()
    c.setFillColor(color)
    c.setStrokeColor(color)
    c.setLineWidth(size * 0.03)
    label = c.beginText()
    label.setTextRenderMode(2)
    label.setFont(font, size)
    label.setCharSpace(spacing)
    label.setTextOrigin(centre_x - measured(size, spacing) / 2, baseline)
    label.textOut(shown)
    c.drawText(label)
    c.restoreState()


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


_RUNS = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")


@functools.lru_cache(maxsize=256)
def _qr_modules(value: str) -> tuple[str, ...]:
    """The QR code of ``value`` (level M) as rows of "0"/"1", encoded by reportlab's
    QrCodeWidget. The mask is chosen by the standard penalty rules, on rows as integers and
    strings: reportlab's own mask search (eight full layouts, scored cell by cell) took
    8 ms, more than half of a certificate."""
    qr = QrCodeWidget(value, barLevel="M").qr
    qr.version = qr.version or qr.calculate_version()
    qr.makeImpl(True, 0)  # the layout with mask 0 and blank format information
    size, flips = qr.moduleCount, _mask_flips(qr)
    unmasked = [_row_bits(row) ^ flip for row, flip in zip(qr.modules, flips[0], strict=True)]

    def penalty(mask: int) -> int:
        return _mask_penalty(
            tuple(
                format(bits ^ flip, f"0{size}b")
                for bits, flip in zip(unmasked, flips[mask], strict=True)
            )
        )

    qr.makeImpl(False, min(range(8), key=penalty))
    return tuple(format(_row_bits(row), f"0{size}b") for row in qr.modules)


def _row_bits(row: Sequence[bool]) -> int:
    bits = 0
    for module in row:
        bits = (bits << 1) | bool(module)
    return bits


_mask_cache: dict[int, tuple[tuple[int, ...], ...]] = {}


def _mask_flips(qr: QRCode) -> tuple[tuple[int, ...], ...]:
    """For each of the eight masks, per row, the modules it flips (data modules only)."""
    cached = _mask_cache.get(qr.version)
    if cached is None:
        size, positions = qr.moduleCount, qr.dataPosIterator()
        masks = []
        for mask in range(8):
            flips = QRUtil.getMask(mask)
            rows = [0] * size
            for column, row in positions:
                if flips(row, column):
                    rows[row] |= 1 << (size - 1 - column)
            masks.append(tuple(rows))
        cached = _mask_cache[qr.version] = tuple(masks)
    return cached


def _mask_penalty(rows: tuple[str, ...]) -> int:
    """ISO/IEC 18004 mask penalty: runs, 2x2 blocks, finder-like patterns, dark balance."""
    size = len(rows)
    lines = rows + tuple("".join(column) for column in zip(*rows, strict=True))
    score = sum(len(run) - 2 for line in lines for run in _RUNS.findall(line))
    score += 40 * sum(len(_FINDER_LIKE.findall(line)) for line in lines)
    edge = (1 << (size - 1)) - 1
    for upper, lower in itertools.pairwise(int(row, 2) for row in rows):
        same = ~(upper ^ lower) & ~(upper ^ (upper >> 1)) & ~(lower ^ (lower >> 1)) & edge
        score += 3 * same.bit_count()
    dark = sum(row.count("1") for row in rows)
    return score + 10 * (abs(dark * 100 // (size * size) - 50) // 5)


@functools.lru_cache(maxsize=256)
def _qr_path(value: str, border: int) -> tuple[int, str]:
    """PDF path operators filling the dark runs of the QR code, in module units (the
    canvas' own path API formats every number in pure Python: ten times slower)."""
    rows = _qr_modules(value)
    side = len(rows) + 2 * border
    ops = []
    for index, row in enumerate(rows):
        bottom = side - border - index - 1
        for run in re.finditer("1+", row):
            ops.append(f"{run.start() + border} {bottom} {run.end() - run.start()} 1.02 re")
    return side, "\n".join(ops) + "\nf"


def _draw_qr(c: Canvas, value: str, x: float, y: float, size: float, border: int = 4) -> None:
    """The QR code of ``value`` in a white square of ``size`` points at (x, y)."""
    side, path = _qr_path(value, border)
    c.saveState()
    c.setFillColor(white)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColor(INK)
    c.translate(x, y)
    c.scale(size / side, size / side)
    c.addLiteral(path)
    c.restoreState()


# --- the certificate ----------------------------------------------------------------------


def render_certificate(data: CertificateData, font: str | None = None) -> bytes:
    """One A4 landscape certificate as PDF bytes."""
    name = _font(font)
    buffer = io.BytesIO()
    with _binary_streams():
        c = _canvas(buffer, landscape(A4), name)
        c.setTitle(f"{_clean(data.title)} {_clean(data.number)}")
        c.setAuthor(_clean(data.authority))
        c.setSubject(_clean(data.exam_title))
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
    _draw_fitted(
        c,
        f"证书编号：{_clean(data.number)}",
        font,
        (width - 354, height - 68, 270, 14),
        10,
        align="right",
        color=GREY,
    )
    _draw_fitted(
        c,
        _clean(data.authority),
        font,
        (140, height - 84, width - 280, 20),
        15,
        align="center",
        color=DARK_RED,
    )
    _draw_heading(
        c, _clean(data.title), font, width / 2, height - 124, 34, width - 200, 8, DARK_RED
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
    block = _fit_block(_body_runs(data), font, width, height, 16, 8, leading=1.75, indent_chars=2)
    _draw_block(c, block, font, x, y + height, width, indent_chars=2)
    return y + height - block.height


def _body_runs(data: CertificateData) -> list[Run]:
    """兹证明 X（身份证号 …），系 Y 的 Z，参加 W，成绩合格（N 分），特发此证。 Clauses whose
    values are missing are left out rather than printed with blanks."""

    def value(text: str) -> Run:
        return (f" {text} ", True)

    id_number, enterprise, role, exam, score = (
        _clean(v)
        for v in (data.id_number_masked, data.enterprise, data.role, data.exam_title, data.score)
    )
    runs: list[Run] = [("兹证明", False), value(_clean(data.holder_name))]
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


def _fit_block(
    runs: Sequence[Run],
    font: str,
    width: float,
    height: float,
    size: float,
    min_size: float,
    leading: float,
    indent_chars: float = 0.0,
) -> _Block:
    """``runs`` laid out at the largest size (in half points) that fits ``height``."""
    current = size
    while True:
        block = _layout(runs, font, width, current, leading, indent_chars)
        if block.height <= height or current <= min_size:
            return block
        current -= 0.5


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
    score = f"{_clean(data.score)} 分" if _clean(data.score) else "合格"
    rows: list[tuple[tuple[str, str], ...]] = [
        (("持证人", data.holder_name), ("身份证号", data.id_number_masked)),
        (("工作单位", data.enterprise),),
        (("岗　　位", data.role), ("考试成绩", score)),
        (("考试名称", data.exam_title),),
        (("证书编号", data.number), ("发证日期", issued)),
        (("有效期至", valid), ("发证机关", data.authority)),
    ]
    _field_table(c, font, rows, x, top, width, row_height, label_width=80.0, size=12)


def _field_table(
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
            _draw_fitted(
                c,
                label,
                font,
                (cx + 4, y + 1, label_width - 8, row_height - 2),
                size,
                align="center",
                color=GREY,
            )
            _draw_fitted(
                c,
                _clean(value),
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
    _draw_qr(c, data.verify_url, x, y, size)
    text_x = x + size + 10
    _draw_fitted(c, "扫码验证真伪", font, (text_x, y + 54, 220, 18), 12, color=DARK_RED)
    _draw_fitted(c, f"证书编号：{_clean(data.number)}", font, (text_x, y + 34, 220, 16), 10)
    _draw_fitted(c, "亦可登录以下网址查验：", font, (text_x, y + 17, 220, 14), 8.5, color=GREY)
    _draw_fitted(c, _clean(data.verify_url), font, (text_x, y + 2, 220, 14), 8.5, color=GREY)


def _certificate_issuer(
    c: Canvas, data: CertificateData, font: str, centre_x: float, y: float
) -> None:
    """The issuing authority and the issue date, the seal (if any) stamped over them."""
    _draw_fitted(c, _clean(data.authority), font, (centre_x - 130, y, 260, 22), 15, align="center")
    _draw_fitted(
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


# --- admission notices --------------------------------------------------------------------


def render_admission_notice(data: AdmissionData, font: str | None = None) -> bytes:
    """One A4 portrait admission notice as PDF bytes."""
    return render_admission_notices([data], font)


def render_admission_notices(items: Sequence[AdmissionData], font: str | None = None) -> bytes:
    """One PDF with one page per candidate (the bulk download for an exam)."""
    items = list(items)
    if not items:
        raise ValueError("no admission notices to render")
    name = _font(font)
    buffer = io.BytesIO()
    with _binary_streams():
        c = _canvas(buffer, portrait(A4), name)
        c.setTitle(f"准考证 {_clean(items[0].exam_title)}")
        c.setAuthor(_clean(items[0].authority))
        c.setCreator("Anpei")
        for item in items:
            _draw_notice(c, item, name)
            c.showPage()
        c.save()
    return buffer.getvalue()


def _draw_notice(c: Canvas, data: AdmissionData, font: str) -> None:
    width, height = portrait(A4)
    left, right = 62.0, width - 62.0
    _notice_frame(c, width, height)
    _notice_header(c, data, font, width, height)
    bottom = _notice_fields(c, data, font, left, height - 196, right - left)
    bottom = _login_box(c, data, font, left, bottom - 26, right - left)
    _notice_rules(c, data, font, left, bottom - 18, right - left, 84)
    _notice_footer(c, data, font, left, right - left)


def _notice_footer(c: Canvas, data: AdmissionData, font: str, x: float, width: float) -> None:
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    c.line(x, 74, x + width, 74)
    text = f"本准考证由{_clean(data.authority)}制发，仅限本人使用，请妥善保管。"
    _draw_fitted(c, text, font, (x, 52, width, 16), 9, align="center", color=GREY)


def _notice_frame(c: Canvas, width: float, height: float) -> None:
    c.setStrokeColor(NAVY)
    c.setLineWidth(2.2)
    c.rect(30, 30, width - 60, height - 60, stroke=1, fill=0)
    c.setLineWidth(0.6)
    c.rect(35, 35, width - 70, height - 70, stroke=1, fill=0)


def _notice_header(c: Canvas, data: AdmissionData, font: str, width: float, height: float) -> None:
    _draw_fitted(
        c,
        f"准考证号：{_clean(data.number)}",
        font,
        (width - 330, height - 64, 268, 14),
        10,
        align="right",
        color=GREY,
    )
    _draw_fitted(
        c, _clean(data.authority), font, (80, height - 96, width - 160, 22), 15, align="center"
    )
    _draw_heading(c, "准考证", font, width / 2, height - 140, 32, width - 160, 16, NAVY)
    c.setStrokeColor(NAVY)
    c.setLineWidth(1.2)
    c.line(width / 2 - 110, height - 154, width / 2 + 110, height - 154)
    _draw_fitted(
        c,
        _clean(data.exam_title),
        font,
        (80, height - 184, width - 160, 26),
        14,
        align="center",
        color=NAVY,
    )


def _notice_fields(
    c: Canvas, data: AdmissionData, font: str, x: float, top: float, width: float
) -> float:
    rows: list[tuple[tuple[str, str], ...]] = [
        (("姓　　名", data.candidate_name),),
        (("身份证号", data.id_number_masked),),
        (("工作单位", data.enterprise),),
        (("岗　　位", data.role),),
        (("准考证号", data.number),),
        (("考试名称", data.exam_title),),
        (("考试时间", data.window),),
        (("考试时长", f"{int(data.duration_minutes)} 分钟"),),
    ]
    return _field_table(c, font, rows, x, top, width, row_height=28.0, label_width=90.0, size=12.5)


def _login_box(
    c: Canvas, data: AdmissionData, font: str, x: float, top: float, width: float
) -> float:
    """The boxed 登录方式: address, login and password, with a QR code of the address."""
    height, qr = 128.0, 88.0
    bottom = top - height
    c.setFillColor(BOX_FILL)
    c.setStrokeColor(NAVY)
    c.setLineWidth(1.4)
    c.roundRect(x, bottom, width, height, 6, stroke=1, fill=1)
    c.setFillColor(NAVY)
    c.roundRect(x + 14, top - 10, 92, 20, 4, stroke=0, fill=1)
    _draw_fitted(c, "登录方式", font, (x + 14, top - 10, 92, 20), 12, align="center", color=white)
    _draw_qr(c, data.site_url, x + width - qr - 16, bottom + 22, qr)
    _draw_fitted(
        c,
        "扫码打开考试网址",
        font,
        (x + width - qr - 26, bottom + 5, qr + 20, 14),
        8.5,
        align="center",
        color=GREY,
    )
    text_width = width - qr - 60
    if data.initial_password:
        password, note = _clean(data.initial_password), "首次登录后须立即修改密码，请勿告知他人。"
    else:
        password, note = "请使用本人已设置的密码", "忘记密码请联系所在企业或考试组织单位重置。"
    lines = (
        ("登录网址", _clean(data.site_url), 11.5, INK),
        ("登录账号", _clean(data.login), 13, INK),
        ("初始密码" if data.initial_password else "登录密码", password, 13, DARK_RED),
    )
    y = top - 40
    for label, value, size, color in lines:
        _draw_fitted(c, f"{label}：", font, (x + 18, y, 70, 20), 11.5, color=GREY)
        _draw_fitted(c, value, font, (x + 88, y, text_width - 70, 20), size, color=color)
        y -= 24
    _draw_fitted(c, note, font, (x + 18, bottom + 8, text_width + 10, 14), 9, color=GREY)
    return bottom


def _notice_rules(
    c: Canvas, data: AdmissionData, font: str, x: float, top: float, width: float, bottom: float
) -> None:
    """考试须知 as a numbered list, shrunk to fit above ``bottom``; rules that do not fit even
    at the smallest size are referred to, not silently dropped."""
    _draw_fitted(c, "考试须知", font, (x, top - 20, width, 20), 13, color=NAVY)
    c.setStrokeColor(NAVY)
    c.setLineWidth(0.8)
    c.line(x, top - 24, x + width, top - 24)
    rules = [rule for rule in (_clean(rule) for rule in data.rules) if rule]
    top -= 32
    size, blocks = _fit_rules(rules, font, width, top - bottom)
    for number, block in enumerate(blocks, start=1):
        if top - block.height < bottom and number < len(blocks):
            note = f"（其余 {len(blocks) - number + 1} 条须知请登录考试系统查看）"
            _draw_fitted(c, note, font, (x, top - size * 1.5, width, size * 1.5), size, color=GREY)
            return
        c.setFillColor(INK)
        c.setFont(font, size)
        c.drawString(x, top - size * 0.95, f"{number}.")
        _draw_block(c, block, font, x + size * 2, top, width - size * 2)
        top -= block.height + size * 0.4


def _fit_rules(
    rules: Sequence[str], font: str, width: float, height: float
) -> tuple[float, list[_Block]]:
    size = 12.0
    while True:
        blocks = [_layout([(rule, False)], font, width - size * 2, size, 1.5) for rule in rules]
        if sum(block.height + size * 0.4 for block in blocks) <= height or size <= 7.5:
            return size, blocks
        size -= 0.5
