"""The pieces every PDF report is made of: headings, tables, trend charts, the feedback summary
and the page footer, in the viewer's language. User-written text is escaped before it reaches
ReportLab's paragraph markup."""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from server.domain.assignment_stats import GradeBin
from server.domain.display import Display
from server.domain.feedback_summary import FeedbackSummary
from server.domain.report_text import label, number, percent_text
from server.domain.stats_trends import Bucket, TrendBucket
from server.services import stats_charts as charts
from server.services.report_fonts import FONT, FONT_BOLD, register_fonts

TEXT_CELL = 42  # characters of a title or name in a table cell
COMMENT_CHARS = 400
HEADER_BG = colors.HexColor("#e8eef6")


def cut(text: str, limit: int = TEXT_CELL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ReportWriter:
    """The story being built, with the viewer's language at hand."""

    def __init__(self, display: Display) -> None:
        self.d = display
        register_fonts()
        self.styles = getSampleStyleSheet()
        # Every sample style is Helvetica (Latin only); its list styles have no font at all.
        for style in self.styles.byName.values():
            bold = getattr(style, "fontName", "").endswith("Bold")
            style.fontName = FONT_BOLD if bold else FONT
        self.small = ParagraphStyle("small", parent=self.styles["BodyText"], fontSize=8)
        self.story: list[Flowable] = []

    def t(self, key: str) -> str:
        return label(key, self.d.locale)

    def pct(self, value: float | None) -> str:
        return "—" if value is None else f"{number(value, self.d.locale)} %"

    def heading(self, text: str, level: int = 2) -> None:
        self.story.append(Paragraph(escape(text), self.styles[f"Heading{level}"]))

    def para(self, text: str, style: str = "BodyText") -> None:
        self.story.append(Paragraph(escape(text), self.styles[style]))

    def gap(self, height: float = 0.3) -> None:
        self.story.append(Spacer(1, height * cm))

    def table(
        self, rows: Sequence[Sequence[object]], widths: Sequence[float] | None = None
    ) -> None:
        table = Table([[str(c) for c in r] for r in rows], colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT, 8),
                    ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8),
                    ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        self.story.append(table)
        self.gap()

    def feedback(self, summary: FeedbackSummary) -> None:
        self.heading(self.t("feedback"))
        if not summary.count:
            self.para(self.t("no_feedback"))
            return
        dist = ", ".join(f"{r}★ {n}" for r, n in summary.distribution.items())
        self.para(
            f"{self.t('ratings')}: {summary.count} · {self.t('average')} "
            f"{number(summary.average, self.d.locale, 2)} / 5 · {dist}"
        )
        if summary.themes:
            self.heading(self.t("themes"), 3)
            self.para(", ".join(f"{t.term} ({t.comments})" for t in summary.themes))
        if summary.representative:
            self.heading(self.t("representative"), 3)
            for c in summary.representative:
                self.story.append(
                    Paragraph(
                        f"“{escape(cut(c.comment, COMMENT_CHARS))}” ({c.rating}★)", self.small
                    )
                )

    def trend_table(self, buckets: Sequence[TrendBucket], bucket: Bucket) -> None:
        header = [
            self.t(bucket.value),
            self.t("assignments"),
            self.t("average"),
            self.t("moving_average"),
            self.t("submission_rate"),
            self.t("on_time"),
            self.t("late"),
        ]
        rows = [
            [
                b.label,
                b.assignments,
                self.pct(b.average_percent),
                self.pct(b.moving_average_percent),
                percent_text(b.submission_rate, self.d.locale),
                percent_text(b.on_time_rate, self.d.locale),
                "—" if b.late_count is None else b.late_count,
            ]
            for b in buckets
        ]
        self.table([header, *rows])

    def trend_chart(self, buckets: Sequence[TrendBucket], title: str | None) -> None:
        names = (self.t("average"), self.t("moving_average"), self.t("submission_rate"))
        self.story.append(charts.trend_lines(buckets, title, names))
        self.gap()

    def completion_chart(
        self,
        labels: Sequence[str],
        completion: Sequence[float],
        on_time: Sequence[float],
        title: str | None,
        names: tuple[str, str],
    ) -> None:
        if not labels:  # nothing due yet: no bars to draw
            self.para(self.t("no_data"))
            return
        self.story.append(charts.completion_bars(labels, completion, on_time, title, names))
        self.gap()

    def figures(self, rows: Sequence[tuple[str, object]]) -> None:
        """A two-column table of labelled figures."""
        self.table([[self.t("figure"), self.t("value")], *rows], [8 * cm, 5 * cm])

    def histogram(self, bins: Sequence[GradeBin]) -> None:
        self.story.append(
            charts.histogram(bins, self.t("grade_distribution"), self.t("grade_bands"))
        )
        self.gap()

    def render(self, title: str, footer: str) -> bytes:
        out = io.BytesIO()
        doc = SimpleDocTemplate(
            out,
            pagesize=A4,
            title=title,
            author="ClassConnect",
            leftMargin=2 * cm,
            rightMargin=2 * cm,
            topMargin=1.8 * cm,
            bottomMargin=1.8 * cm,
            # Pages start in the embedded face too: otherwise each page sets Helvetica first.
            initialFontName=FONT,
        )
        page = self.t("page")

        def on_page(canvas: Canvas, document: SimpleDocTemplate) -> None:
            canvas.saveState()
            canvas.setFont(FONT, 7)
            canvas.setFillColor(colors.grey)
            canvas.drawString(2 * cm, 1 * cm, cut(footer, 90))
            canvas.drawRightString(A4[0] - 2 * cm, 1 * cm, f"{page} {document.page}")
            canvas.restoreState()

        doc.build(self.story, onFirstPage=on_page, onLaterPages=on_page)
        return out.getvalue()
