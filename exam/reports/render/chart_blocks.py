"""Charts in report PDFs: a drawing as a flowable (scaled to the frame), and charts of rows
(bars, heat-map rows) that break between rows across pages, so that a report of a thousand
enterprises renders as readily as one of five."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from reportlab.graphics.shapes import Drawing
from reportlab.platypus.flowables import Flowable

from exam.reports.render.charts import bar_chart, heat_map

__all__ = ["BarChart", "Chart", "HeatMap", "RowChart", "bar_part", "heat_part"]


class Chart(Flowable):
    """A Drawing, centred, scaled down to the frame's width (and to ``max_height``) when it is
    larger. A drawing taller than a whole page is shrunk to the page rather than refused."""

    def __init__(self, drawing: Drawing, max_height: float | None = None):
        super().__init__()
        self.drawing = drawing
        self.max_height = max_height

    def wrap(self, available_width, available_height):
        self.scale = min(1.0, available_width / self.drawing.width)
        if self.max_height:
            self.scale = min(self.scale, (self.max_height - 6) / self.drawing.height)
        self.width = available_width
        self.height = self.drawing.height * self.scale + 6
        return self.width, self.height

    def split(self, available_width, available_height):
        # reportlab marks a flowable ``_postponed`` once it has not fitted; not fitting an
        # empty page either, it is set as large as that page holds (no LayoutError).
        if getattr(self, "_postponed", False):
            return [Chart(self.drawing, max_height=available_height)]
        return []

    def draw(self):
        from reportlab.graphics import renderPDF

        canvas = self.canv
        canvas.saveState()
        offset = (self.width - self.drawing.width * self.scale) / 2
        canvas.translate(offset, 3)
        canvas.scale(self.scale, self.scale)
        renderPDF.draw(self.drawing, canvas, 0, 0)
        canvas.restoreState()


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars (``charts.bar_chart``) as a report block. Bars that do not fit on the
    page carry on on the next one, each part with its own axis and the title marked as
    continued. ``height`` is the least height when the whole chart fits on one page."""

    labels: list[str]
    values: list[float | None]
    title: str = ""
    unit: str = "%"
    width: int = 460
    height: int = 240


@dataclass(frozen=True)
class HeatMap:
    """A heat map (``charts.heat_map``) as a report block, broken between its rows across
    pages like ``BarChart``, the column headings and the legend on every part."""

    rows: list[str]
    columns: list[str]
    values: list[list[float | None]]
    title: str = ""
    width: int = 480
    low: float = 60.0
    high: float = 100.0


def _continued(title: str, first: int) -> str:
    return _("%(title)s (continued)", title=title) if first and title else title


def bar_part(block: BarChart):
    scale_max = None
    if block.unit != "%":  # one scale for every part, so bars compare across pages
        scale_max = max((v for v in block.values if v is not None), default=0.0)

    def part(first: int, stop: int, whole: bool) -> Drawing:
        return bar_chart(
            block.labels[first:stop],
            block.values[first:stop],
            title=_continued(block.title, first),
            unit=block.unit,
            width=block.width,
            height=block.height if whole else 0,
            scale_max=scale_max,
        )

    return part


def heat_part(block: HeatMap):
    def part(first: int, stop: int, whole: bool) -> Drawing:
        return heat_map(
            block.rows[first:stop],
            block.columns,
            block.values[first:stop],
            title=_continued(block.title, first),
            width=block.width,
            low=block.low,
            high=block.high,
        )

    return part


class RowChart(Flowable):
    """A chart of rows (bars, heat-map rows) that reportlab may split between rows: as many
    rows as fit where it stands, the rest on the following pages. ``part(first, stop, whole)``
    draws rows ``first:stop``; ``whole`` when they are all the rows."""

    #: Fewer rows than this at the foot of a page: the chart starts on the next page instead.
    MIN_ROWS = 5

    def __init__(self, part, count: int, first: int = 0):
        super().__init__()
        self.part, self.count, self.first = part, count, first

    def _chart(self, stop: int, max_height: float | None = None) -> Chart:
        whole = self.first == 0 and stop == self.count
        return Chart(self.part(self.first, stop, whole), max_height=max_height)

    def wrap(self, available_width, available_height):
        self.chart = self._chart(self.count)
        self.width, self.height = self.chart.wrap(available_width, available_height)
        return self.width, self.height

    def draw(self):
        self.chart.drawOn(self.canv, 0, 0)

    def split(self, available_width, available_height):
        rows = self.count - self.first
        fitting, above = 0, rows  # the most rows that fit, by halving
        while fitting < above:
            middle = (fitting + above + 1) // 2
            height = self._chart(self.first + middle).wrap(available_width, available_height)[1]
            if height <= available_height:
                fitting = middle
            else:
                above = middle - 1
        if fitting < min(self.MIN_ROWS, rows) and not self._tried():
            return []  # too little room left on this page
        if fitting >= rows:
            return [self._chart(self.count)]
        if fitting == 0:  # not even one row on an empty page: that row shrunk to the page
            head = self._chart(self.first + 1, max_height=available_height)
            fitting = 1
        else:
            head = self._chart(self.first + fitting)
        rest = [RowChart(self.part, self.count, self.first + fitting)] if fitting < rows else []
        return [head, *rest]

    def _tried(self) -> bool:
        # Set by reportlab once the flowable has not fitted: now on an empty page.
        return bool(getattr(self, "_postponed", False))
