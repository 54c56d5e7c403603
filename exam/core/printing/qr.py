"""QR codes, encoded by segno: vector paths on a reportlab canvas, SVG documents for a screen."""

from __future__ import annotations

import functools
import io
import re

import segno
from reportlab.lib.colors import white
from reportlab.pdfgen.canvas import Canvas

from exam.core.printing.layout import INK

__all__ = ["draw_qr", "qr_modules", "qr_svg"]

#: Quiet zone around a code, in modules: the four the standard asks for.
BORDER = 4
_BITS = bytes.maketrans(b"\x00\x01", b"01")


def _encode(value: str) -> segno.QRCode:
    # Level M exactly (segno would otherwise raise it when the version has room to spare).
    return segno.make_qr(value, error="m", boost_error=False)


@functools.lru_cache(maxsize=256)
def qr_modules(value: str) -> tuple[str, ...]:
    """The QR code of ``value`` (level M) as rows of "0"/"1", without the quiet zone."""
    return tuple(bytes(row).translate(_BITS).decode("ascii") for row in _encode(value).matrix)


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


def draw_qr(c: Canvas, value: str, x: float, y: float, size: float, border: int = BORDER) -> None:
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
    code = _encode(value)
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", scale=size / code.symbol_size(border=BORDER)[0], border=BORDER)
    return buffer.getvalue().decode("utf-8")
