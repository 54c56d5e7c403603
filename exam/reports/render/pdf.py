"""Report PDFs: A4 pages of headings, paragraphs, tables and charts, with the embedded Chinese
font of the certificates, the bureau's name and the date on every page, and page numbers.

Every string is escaped before it reaches reportlab's ``Paragraph``, so names and titles
people typed are printed literally, never read as markup.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from flask import current_app, has_app_context
from flask_babel import gettext as _
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, LongTable, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus.flowables import Flowable

from exam.core.printing import chinese_date
from exam.reports.render.chart_blocks import BarChart, Chart, HeatMap, RowChart, bar_part, heat_part
from exam.reports.render.charts import cjk_font

__all__ = [
    "BarChart",
    "Heading",
    "HeatMap",
    "Paragraph",
    "TableBlock",
    "report_pdf",
    "styles",
]

INK = HexColor("#1E1E1E")
GREY = HexColor("#5A5A5A")
RULE = HexColor("#9AA5B1")
HEADER_FILL = HexColor("#E7EEF6")
STRIPE = HexColor("#F7F9FB")
MARGIN = 18 * mm


@dataclass(frozen=True)
class Heading:
    """A section heading; ``level`` 1 or 2."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text (printed literally; line breaks kept)."""

    text: str
    indent: bool = False


@dataclass(frozen=True)
class TableBlock:
    """A table with a header row repeated on every page. Numbers are right-aligned; None
    prints empty. ``widths`` are relative column widths (optional)."""

    headers: list[str]
    rows: list[list]
    widths: list[float] | None = None
    #: Centre every cell (a short table of totals), instead of numbers right, text left.
    centred: bool = False


def styles(font: str) -> dict[str, ParagraphStyle]:
    """The paragraph styles of a report, in ``font``; Chinese wraps between characters."""
    base = ParagraphStyle(
        "body", fontName=font, fontSize=10, leading=15, textColor=INK, wordWrap="CJK"
    )
    return {
        "body": base,
        "indented": ParagraphStyle("indented", base, firstLineIndent=20),
        "title": ParagraphStyle(
            "title", base, fontSize=17, leading=24, alignment=TA_CENTER, spaceAfter=4
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            base,
            fontSize=10,
            leading=14,
            textColor=GREY,
            alignment=TA_CENTER,
            spaceAfter=6,
        ),
        "h1": ParagraphStyle(
            "h1",
            base,
            fontSize=13,
            leading=19,
            spaceBefore=10,
            spaceAfter=5,
            textColor=HexColor("#1F3A5F"),
        ),
        "h2": ParagraphStyle("h2", base, fontSize=11, leading=16, spaceBefore=6, spaceAfter=3),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=11),
        "cell_right": ParagraphStyle(
            "cell_right", base, fontSize=8.5, leading=11, alignment=TA_RIGHT
        ),
        "head": ParagraphStyle("head", base, fontSize=8.5, leading=11),
        "cell_centre": ParagraphStyle(
            "cell_centre", base, fontSize=8.5, leading=11, alignment=TA_CENTER
        ),
        "signature": ParagraphStyle("signature", base, fontSize=11, leading=18, alignment=TA_RIGHT),
    }


def clean(value: object) -> str:
    """``value`` as printable text: control characters and lone surrogates (which would
    break the PDF) become spaces; line breaks are kept."""
    lines = str(value).replace("\r\n", "\n").split("\n")
    return "\n".join(
        "".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch for ch in line)
        for line in lines
    )


def text(value: object) -> str:
    """``value`` as literal Paragraph markup: cleaned, escaped, line breaks kept."""
    return escape(clean(value)).replace("\n", "<br/>")


def cell_text(value: object) -> str:
    """A table cell as printed: empty for None, floats to one decimal place."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _table(block: TableBlock, style: dict[str, ParagraphStyle], width: float) -> LongTable:
    columns = max(len(block.headers), max((len(row) for row in block.rows), default=0), 1)
    weights = list(block.widths or [1.0] * columns)[:columns]
    weights += [1.0] * (columns - len(weights))
    widths = [width * w / sum(weights) for w in weights]
    # A column of numbers has its header right-aligned over them.
    numeric = [
        any(_is_number(row[i]) for row in block.rows if i < len(row))
        and all(_is_number(row[i]) or row[i] is None for row in block.rows if i < len(row))
        for i in range(len(block.headers))
    ]
    data = [
        [
            RLParagraph(
                text(h),
                style["cell_centre"]
                if block.centred
                else style["cell_right"]
                if numeric[i]
                else style["head"],
            )
            for i, h in enumerate(block.headers)
        ]
    ]
    cell = style["cell"]
    room = [w - 6 for w in widths]  # less the cell padding
    for row in block.rows:
        # A cell that fits on one line is a plain string (drawn five times faster than a
        # Paragraph, which matters for a list of thousands); a longer one wraps.
        line = []
        for i, value in enumerate(row):
            shown = clean(cell_text(value)).replace("\n", " ")
            if i < len(room) and stringWidth(shown, cell.fontName, cell.fontSize) <= room[i]:
                line.append(shown)
            else:
                line.append(RLParagraph(text(shown), _cell_style(block, value, style)))
        data.append(line)
    if not block.rows:
        data.append([RLParagraph(text(_("None.")), style["cell"])] + [""] * (columns - 1))
    table = LongTable(data, colWidths=widths, repeatRows=1)
    commands = [
        # Plain-string cells (the padding of an empty table) in our font: no Helvetica.
        ("FONTNAME", (0, 0), (-1, -1), cell.fontName),
        ("FONTSIZE", (0, 0), (-1, -1), cell.fontSize),
        ("LEADING", (0, 0), (-1, -1), cell.leading),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    commands += [("BACKGROUND", (0, r), (-1, r), STRIPE) for r in range(2, len(data), 2)]
    commands += [
        ("ALIGN", (i, 1), (i, -1), "CENTER" if block.centred else "RIGHT")
        for i in range(columns)
        if block.centred or (i < len(numeric) and numeric[i])
    ]
    if not block.rows and columns > 1:
        commands.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(commands))
    return table


def _cell_style(block: TableBlock, value: object, style: dict) -> ParagraphStyle:
    if block.centred:
        return style["cell_centre"]
    return style["cell_right" if _is_number(value) else "cell"]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def flowables(blocks: list, style: dict[str, ParagraphStyle], width: float) -> list:
    """The reportlab flowables of ``blocks``."""
    result = []
    for block in blocks:
        if isinstance(block, Heading):
            # A heading is not left alone at the foot of a page.
            result.append(CondPageBreak(70))
            result.append(RLParagraph(text(block.text), style["h1" if block.level <= 1 else "h2"]))
        elif isinstance(block, Paragraph):
            result.append(
                RLParagraph(text(block.text), style["indented" if block.indent else "body"])
            )
        elif isinstance(block, TableBlock):
            result.append(_table(block, style, width))
            result.append(Spacer(1, 6))
        elif isinstance(block, BarChart):
            result.append(RowChart(bar_part(block), len(block.labels)))
        elif isinstance(block, HeatMap):
            result.append(RowChart(heat_part(block), len(block.rows)))
        elif isinstance(block, Drawing):
            result.append(Chart(block))
        elif isinstance(block, Flowable):
            result.append(block)
        else:
            raise TypeError(f"not a report block: {block!r}")
    return result


def _numbered_canvas(font: str, bureau: str, today: date):
    """A canvas class that writes the bureau, the date and "page n of m" on every page (m is
    known only at the end, so pages are kept until then)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            page_width, page_height = self._pagesize
            self.saveState()
            self.setFont(font, 8)
            self.setFillColor(GREY)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            top = page_height - MARGIN + 6 * mm
            self.drawString(MARGIN, top, bureau)
            self.drawRightString(
                page_width - MARGIN, top, _("Generated on %(date)s", date=chinese_date(today))
            )
            self.line(MARGIN, top - 2.5 * mm, page_width - MARGIN, top - 2.5 * mm)
            self.drawCentredString(
                page_width / 2,
                MARGIN - 9 * mm,
                _("Page %(page)s of %(pages)s", page=self._pageNumber, pages=total),
            )
            self.restoreState()

    return NumberedCanvas


def context_defaults(bureau: str | None, today: date | None) -> tuple[str, date]:
    """The bureau's name and today's date, unless given (the app's, else blank and the system date)."""
    if bureau is None:
        bureau = current_app.config["BUREAU_NAME"] if has_app_context() else ""
    if today is None:
        from exam.core.timeutil import local_today

        today = local_today() if has_app_context() else date.today()
    return bureau, today


def render(
    story_for,
    *,
    title: str,
    landscape_pages: bool = False,
    bureau: str | None = None,
    today: date | None = None,
    decorate: bool = True,
) -> bytes:
    """Lay out the story ``story_for(font, styles, frame_width)`` returns on A4 pages."""
    return render_counted(
        story_for,
        title=title,
        landscape_pages=landscape_pages,
        bureau=bureau,
        today=today,
        decorate=decorate,
    )[0]


def render_counted(
    story_for,
    *,
    title: str,
    landscape_pages: bool = False,
    bureau: str | None = None,
    today: date | None = None,
    decorate: bool = True,
) -> tuple[bytes, int]:
    """``render``, and how many pages it took."""
    bureau, today = context_defaults(bureau, today)
    bureau, title = clean(bureau), clean(title)
    font = cjk_font()
    style = styles(font)
    pagesize = landscape(A4) if landscape_pages else A4
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN,
        title=title,
        author=bureau,
        creator="Anpei",
        initialFontName=font,
        initialFontSize=10,
        pageCompression=1,
    )
    story = story_for(font, style, document.width)
    canvasmaker = _numbered_canvas(font, bureau, today) if decorate else Canvas
    document.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue(), document.page


def report_pdf(
    title: str,
    blocks: list,
    *,
    subtitle: str = "",
    landscape_pages: bool = False,
    bureau: str | None = None,
    today: date | None = None,
) -> bytes:
    """A report as PDF: ``title`` (and ``subtitle``) on top, then ``blocks`` (``Heading``,
    ``Paragraph``, ``TableBlock`` or a reportlab ``Drawing``). The bureau's name and the
    date (default: the configured bureau, today) head every page."""

    def story(font, style, width):
        head = [RLParagraph(text(title), style["title"])]
        if subtitle:
            head.append(RLParagraph(text(subtitle), style["subtitle"]))
        head.append(Spacer(1, 4))
        return head + flowables(blocks, style, width)

    return render(story, title=title, landscape_pages=landscape_pages, bureau=bureau, today=today)
