"""The tables a course's statistics export to (CSV, one XLSX sheet each): the same numbers as
the JSON, the trend columns included. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from server.domain.assignment_stats import (
    AssignmentFacts,
    CourseStats,
    WorkFacts,
    overdue,
    percent,
)
from server.domain.stats_trends import TrendBucket, TrendOptions

STATS_COLUMNS = {
    "assignments": [
        "assignment_id",
        "title",
        "due_at",
        "students",
        "submitted",
        "on_time",
        "graded",
        "average_percent",
        "completion_rate",
        "on_time_rate",
        "moving_average_percent",
    ],
    "students": [
        "student_id",
        "name",
        "submitted",
        "on_time",
        "late",
        "missing",
        "graded",
        "average_percent",
        "trend_direction",
    ],
    "trends": [
        "label",
        "start",
        "end",
        "assignments",
        "average_percent",
        "moving_average_percent",
        "submission_rate",
        "on_time_rate",
        "late_count",
    ],
}
SHEETS = {"assignments": "Assignments", "students": "Students", "trends": "Trends"}


class ExportQuery(TrendOptions):
    format: str = Field("pdf", pattern="^(pdf|csv|xlsx)$")
    table: str = Field(
        "assignments",
        pattern="^(assignments|students|trends)$",
        description="which table csv exports (xlsx has one sheet each, pdf all of them)",
    )


class MyExportQuery(TrendOptions):
    format: str = Field("pdf", pattern="^pdf$")
    course_id: uuid.UUID | None = Field(None, description="only this course (default: all mine)")


# A text cell starting with one of these is a formula to Excel, LibreOffice or Sheets (a
# student named `=HYPERLINK(...)` would run in the teacher's spreadsheet).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """OWASP's CSV-injection defence: a leading `'` makes such text inert. Numbers stay numbers
    (a negative score is a number, not a string starting with `-`)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def table_rows(
    stats: CourseStats, table: str, trends: Sequence[TrendBucket] = ()
) -> list[list[object]]:
    """The header and rows of one exported table, its text made safe to open in a
    spreadsheet."""
    columns = STATS_COLUMNS[table]
    items: Sequence[BaseModel] = {
        "assignments": stats.assignments,
        "students": stats.per_student,
        "trends": trends,
    }[table]
    out: list[list[object]] = [list(columns)]
    for it in items:
        data = it.model_dump(mode="json")
        out.append(["" if data[c] is None else spreadsheet_cell(data[c]) for c in columns])
    return out


class MyAssignmentRow(BaseModel):
    """One line of a student's own table."""

    title: str
    due_at: datetime
    status: str = Field(pattern="^(on_time|late|missing|pending)$")
    percent: float | None = Field(description="published grade, % of max score")


def my_assignment_rows(
    assignments: Sequence[AssignmentFacts], work: Sequence[WorkFacts], now: datetime
) -> list[MyAssignmentRow]:
    mine = {w.assignment_id: w for w in work}
    rows = []
    for a in assignments:
        w = mine.get(a.id)
        if w is None:
            status = "missing" if overdue(a, now) else "pending"
        else:
            status = "late" if w.late else "on_time"
        score = None if w is None or w.published_score is None else w.published_score
        rows.append(
            MyAssignmentRow(
                title=a.title,
                due_at=a.due_at,
                status=status,
                percent=None if score is None else round(percent(score, a.max_score), 2),
            )
        )
    return rows
