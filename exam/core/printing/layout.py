"""Text drawn on a reportlab canvas inside a box: paragraphs laid out and justified, lines
fitted (shrunk, wrapped, then cut short) to their box, letter-spaced headings.

Everything a person typed is drawn literally with ``canvas.drawString``: no reportlab
``Paragraph``, so no markup is ever interpreted and ``<b>王</b>&amp;`` prints as just that.
Text too long for its box is wrapped and shrunk, never allowed to run off the page.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import Color, HexColor
from reportlab.pdfgen.canvas import Canvas

from exam.core.printing.text import Run, Token, break_lines, ellipsize, text_width, wrap

__all__ = [
    "INK",
    "MIN_FONT_SIZE",
    "Block",
    "Fitted",
    "draw_block",
    "draw_fitted",
    "draw_heading",
    "draw_line",
    "fit",
    "fit_block",
    "layout",
]

#: The colour of text unless a caller asks for another.
INK = HexColor("#1E1E1E")
#: Smallest font size text is shrunk to before it is cut short with an ellipsis.
MIN_FONT_SIZE = 5.0


def draw_line(
    c: Canvas,
    line: list[Token],
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
class Block:
    """A paragraph laid out at one size."""

    size: float
    lines: list[list[Token]]
    leading: float

    @property
    def height(self) -> float:
        """The height of the paragraph: its lines times the leading."""
        return len(self.lines) * self.leading


def layout(
    runs: Sequence[Run],
    font: str,
    width: float,
    size: float,
    leading: float,
    indent_chars: float = 0.0,
) -> Block:
    """``runs`` broken into lines of ``width`` at ``size``, the first indented."""
    lines = break_lines(runs, font, size, width, indent_chars * size)
    return Block(size, lines, size * leading)


def draw_block(
    c: Canvas,
    block: Block,
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
        draw_line(
            c,
            line,
            font,
            block.size,
            x + shift,
            baseline,
            width - shift,
            justify=index < len(block.lines) - 1,
        )


@dataclass(frozen=True)
class Fitted:
    """Text fitted to a box: its size, its lines and their leading."""

    size: float
    lines: tuple[str, ...]
    leading: float


def fit(
    text: str, font: str, width: float, height: float, size: float, min_single: float | None = None
) -> Fitted:
    """The largest size (from ``size`` down) at which ``text`` fits the box: on one line if
    possible down to ``min_single``, else wrapped; cut short at ``MIN_FONT_SIZE``."""
    min_single = size * 0.8 if min_single is None else min_single
    current = size
    while current >= min_single:
        if text_width(text, font, current) <= width and current * 1.15 <= height:
            return Fitted(current, (text,), current * 1.2)
        current -= 0.5
    current = size
    while current >= MIN_FONT_SIZE:
        lines = wrap(text, font, current, width)
        if len(lines) * current * 1.2 <= height + current * 0.2:
            return Fitted(current, tuple(lines), current * 1.2)
        current -= 0.5
    rows = max(1, int((height + MIN_FONT_SIZE * 0.2) // (MIN_FONT_SIZE * 1.2)))
    lines = wrap(text, font, MIN_FONT_SIZE, width)
    kept = lines[:rows]
    if len(lines) > rows:
        kept[-1] = ellipsize(kept[-1] + lines[rows], font, MIN_FONT_SIZE, width)
    return Fitted(MIN_FONT_SIZE, tuple(kept), MIN_FONT_SIZE * 1.2)


def draw_fitted(
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
    fitted = fit(text, font, width, height, size, min_single)
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


def draw_heading(
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
        return text_width(text, font, sz) + sp * max(len(text) - 1, 0)

    while measured(size, spacing) > max_width and spacing > 0:
        spacing = max(0.0, spacing - 1)
    while measured(size, spacing) > max_width and size > MIN_FONT_SIZE:
        size -= 0.5
    shown = text if measured(size, spacing) <= max_width else ellipsize(text, font, size, max_width)
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


def fit_block(
    runs: Sequence[Run],
    font: str,
    width: float,
    height: float,
    size: float,
    min_size: float,
    leading: float,
    indent_chars: float = 0.0,
) -> Block:
    """``runs`` laid out at the largest size (in half points) that fits ``height``."""
    current = size
    while True:
        block = layout(runs, font, width, current, leading, indent_chars)
        if block.height <= height or current <= min_size:
            return block
        current -= 0.5
