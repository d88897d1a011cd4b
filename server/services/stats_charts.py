"""The report's charts, drawn as vector graphics (ReportLab drawings: lines and rectangles in
the PDF, sharp at any zoom, searchable labels)."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from server.domain.assignment_stats import GradeBin
from server.domain.stats_trends import TrendBucket
from server.services.report_fonts import FONT, FONT_BOLD

WIDTH, HEIGHT = 480, 200
BLUE = colors.HexColor("#2f6db5")
ORANGE = colors.HexColor("#e08a1e")
GREEN = colors.HexColor("#3c9a5f")
GREY = colors.HexColor("#9aa3ad")
MAX_CATEGORY_LABELS = 16  # more would overlap: label every n-th


def _sparse(labels: Sequence[str]) -> list[str]:
    step = max(1, -(-len(labels) // MAX_CATEGORY_LABELS))
    return [text if i % step == 0 else "" for i, text in enumerate(labels)]


def _drawing() -> Drawing:
    # Its text starts in the embedded face: Helvetica (the default) has no Cyrillic or Greek.
    drawing = Drawing(WIDTH, HEIGHT)
    drawing.initialFontName = FONT
    return drawing


def _title(drawing: Drawing, text: str | None) -> None:
    if text:  # None under a section heading that already says it
        drawing.add(String(0, HEIGHT - 12, text, fontName=FONT_BOLD, fontSize=10))


def _legend(drawing: Drawing, items: list[tuple[colors.Color, str]], x: float) -> None:
    legend = Legend()
    legend.x, legend.y = x, HEIGHT - 6
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontName, legend.fontSize = FONT, 8
    legend.dx = legend.dy = 8
    legend.deltax = 110
    legend.colorNamePairs = items
    drawing.add(legend)


def _percent_axis(chart: VerticalBarChart | HorizontalLineChart) -> None:
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = chart.categoryAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d %%"


def histogram(bins: Sequence[GradeBin], title: str | None, caption: str) -> Drawing:
    drawing = _drawing()
    _title(drawing, title)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, WIDTH - 60, HEIGHT - 60
    chart.data = [[b.count for b in bins]]  # counts: a tall bar is many grades
    chart.categoryAxis.categoryNames = [f"{b.lower}\u2013{b.upper}" for b in bins]
    top = max([b.count for b in bins] + [1])
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, top
    chart.valueAxis.valueStep = max(1, -(-top // 5))
    chart.valueAxis.labels.fontName = chart.categoryAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = chart.categoryAxis.labels.fontSize = 7
    chart.bars[0].fillColor = BLUE
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName, chart.barLabels.fontSize = FONT, 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(
        String(WIDTH / 2, 4, caption, fontName=FONT, fontSize=7, fillColor=GREY,
               textAnchor="middle")
    )  # fmt: skip
    return drawing


def trend_lines(buckets: Sequence[TrendBucket], title: str, names: tuple[str, str, str]) -> Drawing:
    """Average grade, its moving average and the submission rate, all in percent, per bucket;
    a bucket with nothing due leaves a gap in the points."""
    drawing = _drawing()
    _title(drawing, title)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, WIDTH - 60, HEIGHT - 70
    chart.data = [
        [b.average_percent for b in buckets],
        [b.moving_average_percent for b in buckets],
        [None if b.submission_rate is None else b.submission_rate * 100 for b in buckets],
    ]
    # A line needs two points (ReportLab refuses one); a lone point still shows as its marker.
    chart.joinedLines = 0
    chart.categoryAxis.categoryNames = _sparse([b.label for b in buckets])
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    _percent_axis(chart)
    for i, (color, width) in enumerate(((BLUE, 1.5), (ORANGE, 1.2), (GREEN, 1.0))):
        line = chart.lines[i]
        line.strokeColor, line.strokeWidth = color, width
        line.symbol = makeMarker("FilledCircle", size=3, fillColor=color, strokeColor=color)
        if sum(v is not None for v in chart.data[i]) >= 2:
            line.lineStyle = "joinedLine"
    chart.lines[1].strokeDashArray = [4, 2]
    drawing.add(chart)
    _legend(drawing, list(zip((BLUE, ORANGE, GREEN), names, strict=True)), WIDTH - 330)
    return drawing


def completion_bars(
    labels: Sequence[str],
    completion: Sequence[float],
    on_time: Sequence[float],
    title: str | None,
    names: tuple[str, str],
) -> Drawing:
    """Two bars per item: handed in and handed in on time, in percent."""
    drawing = _drawing()
    _title(drawing, title)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, WIDTH - 60, HEIGHT - 70
    chart.data = [[v * 100 for v in completion], [v * 100 for v in on_time]]
    chart.categoryAxis.categoryNames = _sparse(list(labels))
    _percent_axis(chart)
    chart.bars[0].fillColor, chart.bars[1].fillColor = BLUE, GREEN
    chart.bars[0].strokeColor = chart.bars[1].strokeColor = None
    chart.groupSpacing = 4
    drawing.add(chart)
    _legend(drawing, [(BLUE, names[0]), (GREEN, names[1])], WIDTH - 220)
    return drawing
