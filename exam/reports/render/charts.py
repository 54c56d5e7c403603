"""Charts for the report pages and PDFs, drawn with reportlab graphics only.

A chart is a reportlab ``Drawing``: in a PDF it is a flowable (vector, with the embedded
Chinese font), on a page ``to_svg`` turns it into an inline ``<svg>``. No JavaScript and no
CDN. Text is measured with the same Chinese TrueType font the certificates embed, so labels
are placed and shortened correctly; in the browser the SVG names a list of Chinese families
that ends in ``sans-serif``, since the browser does not know the PDF font's internal name.
"""

from __future__ import annotations

import itertools
import unicodedata
from xml.dom import minidom

from flask import current_app, has_app_context
from flask_babel import gettext as _
from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib.colors import Color, HexColor

from exam.core.printing import ellipsize, font_name, longest_prefix, text_width

__all__ = ["bar_chart", "cjk_font", "heat_map", "score_color", "to_svg"]

INK = HexColor("#212529")
MUTED = HexColor("#6C757D")
GRID = HexColor("#DEE2E6")
BAR = HexColor("#2F5D8C")
NO_DATA = HexColor("#F1F3F5")
#: The heat map's scale, weak to strong: a soft red, an amber, a soft green (dark text stays
#: readable on each).
SCALE = (HexColor("#E8797A"), HexColor("#F7D774"), HexColor("#7CC48A"))

#: What the browser is asked to use for the chart text: Chinese fonts common on Linux,
#: Windows, macOS, Android, then whatever sans-serif font it has.
BROWSER_FONTS = (
    '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", '
    '"PingFang SC", "Source Han Sans SC", sans-serif'
)

TITLE_SIZE = 12.0
LABEL_SIZE = 10.0
PAD = 6.0


def cjk_font() -> str:
    """The registered name of the Chinese font the certificates embed (registering it once)."""
    configured = current_app.config.get("CERTIFICATE_FONT") if has_app_context() else None
    return font_name(configured or None)


def _new_drawing(width: float, height: float, font: str) -> Drawing:
    # The Chinese font as the initial font, so a PDF references no (unembedded) Helvetica.
    drawing = Drawing(width, height)
    drawing.initialFontName = font
    return drawing


def _number(value: float) -> str:
    """A figure as printed in a chart: whole numbers plain, others to one decimal place."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _title(drawing: Drawing, title: str, font: str, width: float, top: float) -> float:
    """Draw ``title`` centred at the top; return the height it takes."""
    if not title:
        return 0.0
    drawing.add(
        String(
            width / 2,
            top - TITLE_SIZE,
            ellipsize(str(title), font, TITLE_SIZE, width - 2 * PAD),
            fontName=font,
            fontSize=TITLE_SIZE,
            fillColor=INK,
            textAnchor="middle",
        )
    )
    return TITLE_SIZE + PAD


def _nice_max(top: float) -> float:
    """A round axis maximum at or above ``top`` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return 1.0
    power = 10 ** len(str(int(top))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= top:
            return step * power
    return 10 * power


def _label(value: object) -> str:
    """A label as printable text: a control character (which an imported name may carry) would
    make the SVG unreadable."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in str(value))


def bar_chart(
    labels: list[str],
    values: list[float],
    *,
    title: str = "",
    unit: str = "%",
    width: int = 480,
    height: int = 240,
    scale_max: float | None = None,
) -> Drawing:
    """Horizontal bars, one per label, each with its value at its end; a ``%`` chart runs
    from 0 to 100, another to a round figure at or above ``scale_max`` (default: the largest
    value). A value of None draws no bar and a dash. The drawing grows taller when there are
    more labels than ``height`` fits."""
    font = cjk_font()
    labels, title = [_label(label) for label in labels], _label(title)
    values = list(values)
    pitch = 18.0
    title_height = TITLE_SIZE + PAD if title else 0.0
    axis_height = LABEL_SIZE + 8
    height = max(float(height), title_height + axis_height + pitch * len(labels) + 2 * PAD)
    drawing = _new_drawing(width, height, font)
    top = height - PAD - _title(drawing, title, font, width, height - PAD / 2)
    if not labels:
        drawing.add(
            String(
                width / 2,
                top / 2,
                _("No data"),
                fontName=font,
                fontSize=LABEL_SIZE,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
        return drawing

    present = [v for v in values if v is not None]
    if scale_max is None:
        scale_max = max(present, default=0.0)
    scale_max = 100.0 if unit == "%" else _nice_max(scale_max)
    suffix = unit if unit == "%" else ""
    value_width = (
        max(text_width(_number(v) + suffix, font, LABEL_SIZE) for v in present) if present else 10
    )
    label_width = min(max(text_width(label, font, LABEL_SIZE) for label in labels), width * 0.35)
    left = PAD + label_width + PAD
    right = width - PAD - value_width - 4
    bottom = PAD + axis_height
    pitch = (top - bottom) / len(labels)
    bar = min(pitch * 0.68, 16.0)

    for step in range(5):  # grid lines and axis figures at 0, 25, 50, 75, 100 % of the scale
        tick = scale_max * step / 4
        x = left + (right - left) * step / 4
        drawing.add(Line(x, bottom, x, top, strokeColor=GRID, strokeWidth=0.6))
        drawing.add(
            String(
                x,
                PAD,
                _number(tick) + suffix,
                fontName=font,
                fontSize=LABEL_SIZE - 1,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
    for index, (label, value) in enumerate(zip(labels, values, strict=False)):
        middle = top - pitch * (index + 0.5)
        baseline = middle - LABEL_SIZE * 0.35
        drawing.add(
            String(
                left - PAD,
                baseline,
                ellipsize(str(label), font, LABEL_SIZE, label_width),
                fontName=font,
                fontSize=LABEL_SIZE,
                fillColor=INK,
                textAnchor="end",
            )
        )
        if value is None:
            drawing.add(
                String(left + 4, baseline, "—", fontName=font, fontSize=LABEL_SIZE, fillColor=MUTED)
            )
            continue
        length = (right - left) * max(0.0, min(float(value), scale_max)) / scale_max
        drawing.add(Rect(left, middle - bar / 2, length, bar, fillColor=BAR, strokeColor=None))
        drawing.add(
            String(
                left + length + 4,
                baseline,
                _number(value) + suffix,
                fontName=font,
                fontSize=LABEL_SIZE,
                fillColor=INK,
            )
        )
    drawing.add(Line(left, bottom, left, top, strokeColor=MUTED, strokeWidth=0.8))
    return drawing


def score_color(value: float, low: float = 60.0, high: float = 100.0) -> Color:
    """The heat-map colour of ``value``: red at ``low`` and below, amber half way, green at
    ``high``."""
    share = 0.0 if high <= low else max(0.0, min(1.0, (float(value) - low) / (high - low)))
    start, end = (SCALE[0], SCALE[1]) if share < 0.5 else (SCALE[1], SCALE[2])
    part = share * 2 if share < 0.5 else share * 2 - 1
    return Color(*(a + (b - a) * part for a, b in zip(start.rgb(), end.rgb(), strict=True)))


def _wrap_chars(text: str, font: str, size: float, width: float, lines: int = 2) -> list[str]:
    """``text`` broken between characters (or at spaces) into at most ``lines`` lines."""
    result: list[str] = []
    rest = str(text).strip()
    while rest and len(result) < lines - 1:
        cut = longest_prefix(rest, font, size, width)
        if cut == len(rest):
            break
        space = rest.rfind(" ", 0, cut + 1)
        cut = space if space > 0 else cut
        result.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        result.append(ellipsize(rest, font, size, width))
    return result


def heat_map(
    rows: list[str],
    columns: list[str],
    values: list[list[float | None]],
    *,
    title: str = "",
    width: int = 480,
    low: float = 60.0,
    high: float = 100.0,
) -> Drawing:
    """A grid of ``rows`` by ``columns`` coloured from red (``low``, weak) to green
    (``high``), each cell showing its figure; a None cell (no data) is grey with a dash.
    Below, a legend of the scale."""
    font = cjk_font()
    rows, columns, title = [_label(r) for r in rows], [_label(c) for c in columns], _label(title)
    cell_height = 22.0
    label_width = min(
        max((text_width(r, font, LABEL_SIZE) for r in rows), default=0.0), width * 0.3
    )
    left = PAD + label_width + PAD
    cell_width = (width - left - PAD) / max(1, len(columns))
    header_lines = [_wrap_chars(c, font, LABEL_SIZE - 0.5, cell_width - 2) for c in columns]
    header_height = (LABEL_SIZE + 1) * max((len(lines) for lines in header_lines), default=1) + 4
    legend_height = 2 * LABEL_SIZE + PAD
    title_height = TITLE_SIZE + PAD if title else 0.0
    height = (
        PAD + title_height + header_height + cell_height * len(rows) + PAD + legend_height + PAD
    )
    drawing = _new_drawing(width, height, font)
    top = height - PAD - _title(drawing, title, font, width, height - PAD / 2)
    if not rows or not columns:
        drawing.add(
            String(
                width / 2,
                top / 2,
                _("No data"),
                fontName=font,
                fontSize=LABEL_SIZE,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
        return drawing

    for index, lines in enumerate(header_lines):
        middle = left + cell_width * (index + 0.5)
        first = top - (header_height - 4 - (LABEL_SIZE + 1) * len(lines)) - LABEL_SIZE
        for number, line in enumerate(lines):
            drawing.add(
                String(
                    middle,
                    first - number * (LABEL_SIZE + 1),
                    line,
                    fontName=font,
                    fontSize=LABEL_SIZE - 0.5,
                    fillColor=INK,
                    textAnchor="middle",
                )
            )
    grid_top = top - header_height
    for r, (row, cells) in enumerate(
        itertools.zip_longest(rows, values[: len(rows)], fillvalue=())
    ):
        y = grid_top - cell_height * (r + 1)
        drawing.add(
            String(
                left - PAD,
                y + cell_height / 2 - LABEL_SIZE * 0.35,
                ellipsize(str(row), font, LABEL_SIZE, label_width),
                fontName=font,
                fontSize=LABEL_SIZE,
                fillColor=INK,
                textAnchor="end",
            )
        )
        cells = list(cells) + [None] * (len(columns) - len(cells))
        for c, value in enumerate(cells[: len(columns)]):
            x = left + cell_width * c
            fill = NO_DATA if value is None else score_color(value, low, high)
            drawing.add(
                Rect(
                    x,
                    y,
                    cell_width,
                    cell_height,
                    fillColor=fill,
                    strokeColor=HexColor("#FFFFFF"),
                    strokeWidth=1,
                )
            )
            text = "—" if value is None else _number(round(float(value), 1))
            drawing.add(
                String(
                    x + cell_width / 2,
                    y + cell_height / 2 - LABEL_SIZE * 0.35,
                    ellipsize(str(text), font, LABEL_SIZE, cell_width - 2),
                    fontName=font,
                    fontSize=LABEL_SIZE,
                    fillColor=MUTED if value is None else INK,
                    textAnchor="middle",
                )
            )
    _legend(drawing, font, left, PAD, min(160.0, width - left - PAD), low, high)
    return drawing


def _legend(
    drawing: Drawing, font: str, x: float, y: float, width: float, low: float, high: float
) -> None:
    """A strip of the colour scale with its two ends labelled, and the no-data swatch."""
    steps = 20
    bar_y = y + LABEL_SIZE + 2
    for step in range(steps):
        value = low + (high - low) * (step + 0.5) / steps
        drawing.add(
            Rect(
                x + width * step / steps,
                bar_y,
                width / steps + 0.3,
                7,
                fillColor=score_color(value, low, high),
                strokeColor=None,
            )
        )
    small = LABEL_SIZE - 1
    drawing.add(
        String(
            x,
            y,
            _("%(value)s or less (weak)", value=_number(low)),
            fontName=font,
            fontSize=small,
            fillColor=MUTED,
        )
    )
    drawing.add(
        String(
            x + width,
            y,
            _number(high),
            fontName=font,
            fontSize=small,
            fillColor=MUTED,
            textAnchor="end",
        )
    )
    drawing.add(
        Rect(x + width + 12, bar_y, 10, 7, fillColor=NO_DATA, strokeColor=GRID, strokeWidth=0.5)
    )
    drawing.add(
        String(x + width + 26, bar_y, _("no data"), fontName=font, fontSize=small, fillColor=MUTED)
    )


#: Style properties written as SVG presentation attributes instead: the site's Content
#: Security Policy (style-src 'self') makes browsers ignore inline ``style`` attributes.
PRESENTATION = frozenset(
    (
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-opacity",
        "stroke-dasharray",
        "stroke-dashoffset",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
    )
)


def to_svg(drawing: Drawing, *, title: str = "") -> str:
    """``drawing`` as an inline ``<svg>`` element (no XML prolog, no inline styles) that
    scales to the width of its container; safe to embed with ``|safe`` (every text node is
    XML-escaped). ``title`` (default: none) becomes the accessible name."""
    font = cjk_font()
    _anchor_in_browser(drawing)
    # Parsing our own renderer's output, not anything a user sent.
    svg = renderSVG.drawToString(
        drawing, useClip=True, fontHacks={font: {"family": BROWSER_FONTS}}
    ).encode("utf-8")
    document = minidom.parseString(svg)  # noqa: S318
    root = document.documentElement
    for name in list(root.attributes.keys()):
        root.removeAttribute(name)
    attributes = {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": f"0 0 {drawing.width:g} {drawing.height:g}",
        "width": "100%",
        "preserveAspectRatio": "xMinYMin meet",
        "role": "img",
        "class": "report-chart",
    }
    if title:
        attributes["aria-label"] = title
    for name, value in attributes.items():
        root.setAttribute(name, value)
    # renderSVG writes placeholder title and desc ("...", shown as a tooltip).
    for name in ("title", "desc"):
        for node in root.getElementsByTagName(name):
            root.removeChild(node)
    if title:
        heading = document.createElement("title")
        heading.appendChild(document.createTextNode(title))
        root.insertBefore(heading, root.firstChild)
    for element in root.getElementsByTagName("*"):
        _style_to_attributes(element)
        if element.getAttribute("data-x"):
            element.setAttribute("x", element.getAttribute("data-x"))
            element.removeAttribute("data-x")
        if element.getAttribute("id"):  # ids would repeat when a page holds several charts
            element.removeAttribute("id")
    return root.toxml()


def _anchor_in_browser(group) -> None:
    """Centred and right-aligned text is placed by the browser (``text-anchor``) from the
    anchor point, not shifted by the PDF font's width: the browser may draw it in another
    font, wider or narrower."""
    for shape in getattr(group, "contents", ()):
        if isinstance(shape, String) and shape.textAnchor in ("middle", "end"):
            shape._svgAttrs = {"text-anchor": shape.textAnchor, "data-x": f"{shape.x:g}"}
        else:
            _anchor_in_browser(shape)


def _style_to_attributes(element) -> None:
    style = element.getAttribute("style")
    if not style:
        return
    element.removeAttribute("style")
    for declaration in style.split(";"):
        name, _colon, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name in PRESENTATION and value:
            element.setAttribute(name, value)
