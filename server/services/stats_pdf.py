"""PDF reports (ReportLab): a course's for its staff, a student's for themselves. Synchronous and
CPU-bound: callers run `render_*` in a thread. Text is in the viewer's language, times in their
zone (the building blocks are in `server.services.report_writer`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph

from server.domain.assignment_stats import CourseStats, MyCourseStats
from server.domain.at_risk import AtRiskReport
from server.domain.display import Display
from server.domain.feedback_summary import FeedbackSummary
from server.domain.report_text import day, moment, percent_text
from server.domain.stats_tables import MyAssignmentRow
from server.domain.stats_trends import Bucket, TrendBucket
from server.services.report_writer import ReportWriter, cut


@dataclass(frozen=True)
class CourseReport:
    title: str
    display: Display
    generated_at: datetime
    stats: CourseStats
    trends: list[TrendBucket]
    bucket: Bucket
    at_risk: AtRiskReport
    feedback: FeedbackSummary


@dataclass(frozen=True)
class StudentCourse:
    stats: MyCourseStats
    trends: list[TrendBucket]
    rows: list[MyAssignmentRow]


@dataclass(frozen=True)
class StudentReport:
    name: str
    display: Display
    generated_at: datetime
    courses: list[StudentCourse]
    bucket: Bucket
    feedback: FeedbackSummary


def _opening(w: ReportWriter, heading: str, generated_at: datetime) -> None:
    w.heading(heading, 1)
    local = w.d.local(generated_at)
    w.para(f"{w.t('generated')} {moment(local, w.d.locale)} ({w.d.timezone})")
    w.gap()


def render_course(report: CourseReport) -> bytes:
    w, s = ReportWriter(report.display), report.stats
    loc = report.display.locale
    _opening(w, f"{w.t('course_report')}: {report.title}", report.generated_at)
    expected = sum(a.students for a in s.assignments)
    submitted = sum(a.submitted for a in s.assignments)
    on_time = sum(a.on_time for a in s.assignments)
    w.heading(w.t("summary"))
    w.figures(
        [
            (w.t("students"), s.students),
            (w.t("assignments"), len(s.assignments)),
            (w.t("average"), w.pct(s.average_percent)),
            (w.t("completion"), percent_text(submitted / expected if expected else None, loc)),
            (w.t("on_time"), percent_text(on_time / expected if expected else None, loc)),
            (w.t("trend"), w.t(s.trend_direction) if s.trend_direction else "—"),
            (w.t("at_risk"), report.at_risk.counts.at_risk),
        ]
    )
    w.histogram(s.grade_distribution)
    w.heading(w.t("trends"))
    w.trend_chart(report.trends, None)
    w.trend_table(report.trends, report.bucket)
    w.heading(w.t("completion_bars"))
    w.completion_chart(
        [str(i + 1) for i in range(len(s.assignments))],
        [a.completion_rate for a in s.assignments],
        [a.on_time_rate for a in s.assignments],
        None,
        (w.t("completion"), w.t("on_time")),
    )
    w.heading(w.t("assignment_table"))
    header = ["#", w.t("assignment"), w.t("due"), w.t("submitted"), w.t("on_time")]
    header += [w.t("graded"), w.t("average"), w.t("completion")]
    rows = [
        [
            i + 1,
            cut(a.title),
            day(w.d.local(a.due_at), loc),
            a.submitted,
            a.on_time,
            a.graded,
            w.pct(a.average_percent),
            percent_text(a.completion_rate, loc),
        ]
        for i, a in enumerate(s.assignments)
    ]
    w.table([header, *rows])
    w.heading(w.t("at_risk"))
    if not report.at_risk.students:
        w.para(w.t("nobody_at_risk"))
    for student in report.at_risk.students:
        reasons = " ".join(r.message for r in student.reasons)
        w.story.append(Paragraph(f"<b>{escape(student.name)}</b>: {escape(reasons)}", w.small))
    w.gap()
    w.feedback(report.feedback)
    w.heading(w.t("student_table"))
    header = [w.t("student"), w.t("submitted"), w.t("on_time"), w.t("late")]
    header += [w.t("missing"), w.t("average"), w.t("trend")]
    people = [
        [
            cut(p.name),
            p.submitted,
            p.on_time,
            p.late,
            p.missing,
            w.pct(p.average_percent),
            w.t(p.trend_direction) if p.trend_direction else "—",
        ]
        for p in s.per_student
    ]
    w.table([header, *people])
    return w.render(report.title, f"ClassConnect · {report.title}")


def render_student(report: StudentReport) -> bytes:
    w = ReportWriter(report.display)
    loc = report.display.locale
    _opening(w, f"{w.t('student_report')}: {report.name}", report.generated_at)
    status: Callable[[str], str] = lambda s: {  # noqa: E731
        "on_time": w.t("on_time"),
        "late": w.t("late"),
        "missing": w.t("not_submitted"),
        "pending": w.t("pending"),
    }[s]
    for course in report.courses:
        c = course.stats
        w.heading(f"{w.t('course')}: {c.title}")
        due = c.submitted + c.missing
        w.figures(
            [
                (w.t("average"), w.pct(c.average_percent)),
                (w.t("submitted"), c.submitted),
                (w.t("on_time"), c.on_time),
                (w.t("late"), c.late),
                (w.t("missing"), c.missing),
                (w.t("completion"), percent_text(c.submitted / due if due else None, loc)),
                (w.t("trend"), w.t(c.trend_direction) if c.trend_direction else "—"),
            ]
        )
        w.histogram(c.grade_distribution)
        w.trend_chart(course.trends, w.t("trends"))
        w.trend_table(course.trends, report.bucket)
        due_rows = [(i, r) for i, r in enumerate(course.rows) if r.status != "pending"]
        w.completion_chart(
            [str(i + 1) for i, _ in due_rows],
            [1.0 if r.status in ("on_time", "late") else 0.0 for _, r in due_rows],
            [1.0 if r.status == "on_time" else 0.0 for _, r in due_rows],
            w.t("completion_bars"),
            (w.t("submitted"), w.t("on_time")),
        )
        header = ["#", w.t("assignment"), w.t("due"), w.t("status"), w.t("grade")]
        table = [
            [
                i + 1,
                cut(r.title),
                day(w.d.local(r.due_at), loc),
                status(r.status),
                w.pct(r.percent),
            ]
            for i, r in enumerate(course.rows)
        ]
        w.heading(w.t("assignment_table"), 3)
        w.table([header, *table])
    if not report.courses:
        w.para(w.t("no_data"))
    w.feedback(report.feedback)
    return w.render(report.name, f"ClassConnect · {report.name}")
