"""Printing primitives shared by every PDF the app draws with reportlab: the embedded
Chinese font, Chinese line breaking and fitted text on a canvas, dates written the Chinese
way, and QR codes. Plain functions over plain data: no Flask, no database."""

from exam.core.printing.canvas import binary_streams, pdf_canvas
from exam.core.printing.fonts import (
    FontMissing,
    font_name,
    font_path,
    missing_characters,
    registered_font,
)
from exam.core.printing.layout import (
    INK,
    MIN_FONT_SIZE,
    Block,
    Fitted,
    draw_block,
    draw_fitted,
    draw_heading,
    draw_line,
    fit,
    fit_block,
    layout,
)
from exam.core.printing.qr import draw_qr, qr_modules, qr_svg
from exam.core.printing.text import (
    KEEP_TOGETHER,
    Run,
    Token,
    break_lines,
    chinese_date,
    ellipsize,
    longest_prefix,
    printable_line,
    text_width,
    wrap,
)

__all__ = [
    "INK",
    "KEEP_TOGETHER",
    "MIN_FONT_SIZE",
    "Block",
    "Fitted",
    "FontMissing",
    "Run",
    "Token",
    "binary_streams",
    "break_lines",
    "chinese_date",
    "draw_block",
    "draw_fitted",
    "draw_heading",
    "draw_line",
    "draw_qr",
    "ellipsize",
    "fit",
    "fit_block",
    "font_name",
    "font_path",
    "layout",
    "longest_prefix",
    "missing_characters",
    "pdf_canvas",
    "printable_line",
    "qr_modules",
    "qr_svg",
    "registered_font",
    "text_width",
    "wrap",
]
