"""QR codes: vector paths on a reportlab canvas, and SVG documents for a screen."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.barcode.qrencoder import QRCode, QRUtil
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import white
from reportlab.pdfgen.canvas import Canvas

from exam.core.printing.layout import INK

__all__ = ["draw_qr", "qr_modules", "qr_svg"]

_RUNS = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")


@functools.lru_cache(maxsize=256)
def qr_modules(value: str) -> tuple[str, ...]:
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
    rows = qr_modules(value)
    side = len(rows) + 2 * border
    ops = []
    for index, row in enumerate(rows):
        bottom = side - border - index - 1
        for run in re.finditer("1+", row):
            ops.append(f"{run.start() + border} {bottom} {run.end() - run.start()} 1.02 re")
    return side, "\n".join(ops) + "\nf"


def draw_qr(c: Canvas, value: str, x: float, y: float, size: float, border: int = 4) -> None:
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


def qr_svg(value: str, size: int = 300) -> str:
    """The QR code of ``value`` (level M) as an SVG document ``size`` pixels square."""
    widget = QrCodeWidget(value, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return renderSVG.drawToString(drawing)
