"""Progress statistics, computed from plain rows: pure, so the arithmetic is tested alone.

Only each student's newest attempt counts, and only published grades (a draft is not a
grade yet). Percentages are of the assignment's max score; rates are of the course's students.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from server.domain.time_range import Instant

TREND_STEP = 1.0  # percentage points per assignment that count as a real change


@dataclass(frozen=True)
class AssignmentFacts:
    id: uuid.UUID
    title: str
    due_at: datetime
    grace_minutes: int
    max_score: float


@dataclass(frozen=True)
class WorkFacts:
    """A student's newest submission to one assignment."""

    assignment_id: uuid.UUID
    student_id: uuid.UUID
    late: bool
    published_score: float | None


class TrendDirection(StrEnum):
    up = "up"
    down = "down"
    flat = "flat"


class TrendPoint(BaseModel):
    assignment_id: uuid.UUID
    title: str
    due_at: datetime
    average_percent: float | None


class AssignmentStats(TrendPoint):
    students: int
    submitted: int
    on_time: int
    graded: int
    completion_rate: float = Field(description="submitted / students")
    on_time_rate: float = Field(description="submitted on time / students")


class StudentStats(BaseModel):
    student_id: uuid.UUID
    name: str
    submitted: int
    on_time: int
    late: int
    missing: int
    graded: int
    average_percent: float | None


class CourseStats(BaseModel):
    course_id: uuid.UUID
    students: int
    average_percent: float | None
    assignments: list[AssignmentStats]
    trend: list[TrendPoint]
    trend_direction: TrendDirection | None
    per_student: list[StudentStats]


class MyCourseStats(BaseModel):
    course_id: uuid.UUID
    title: str
    average_percent: float | None
    submitted: int
    on_time: int
    late: int
    missing: int
    graded: int
    trend: list[TrendPoint]
    trend_direction: TrendDirection | None


class MyStats(BaseModel):
    courses: list[MyCourseStats]


class StatsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: Instant | None = Field(None, alias="from", description="due on or after")
    to: Instant | None = Field(None, description="due on or before")
    format: str = Field("json", pattern="^(json|csv|xlsx)$")
    table: str = Field(
        "assignments", pattern="^(assignments|students)$", description="which table csv exports"
    )


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def percent(score: float, max_score: float) -> float:
    return 100.0 * score / max_score if max_score else 0.0


def trend_direction(points: Sequence[float | None]) -> TrendDirection | None:
    """The least-squares slope of the averages, in assignment order."""
    ys = [p for p in points if p is not None]
    if len(ys) < 2:
        return None
    n = len(ys)
    mean_x, mean_y = (n - 1) / 2, sum(ys) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(ys)) / sum(
        (x - mean_x) ** 2 for x in range(n)
    )
    if slope > TREND_STEP:
        return TrendDirection.up
    return TrendDirection.down if slope < -TREND_STEP else TrendDirection.flat


def _overdue(a: AssignmentFacts, now: datetime) -> bool:
    return now > a.due_at + timedelta(minutes=a.grace_minutes)


def course_stats(
    *,
    course_id: uuid.UUID,
    assignments: Sequence[AssignmentFacts],
    students: Sequence[tuple[uuid.UUID, str]],
    work: Sequence[WorkFacts],
    now: datetime,
) -> CourseStats:
    enrolled = {sid for sid, _ in students}
    work = [w for w in work if w.student_id in enrolled]  # former students no longer count
    by_assignment = {a.id: a for a in assignments}
    rows = []
    for a in assignments:
        mine = [w for w in work if w.assignment_id == a.id]
        scores = [
            percent(w.published_score, a.max_score) for w in mine if w.published_score is not None
        ]
        on_time = sum(1 for w in mine if not w.late)
        rows.append(
            AssignmentStats(
                assignment_id=a.id,
                title=a.title,
                due_at=a.due_at,
                average_percent=_mean(scores),
                students=len(enrolled),
                submitted=len(mine),
                on_time=on_time,
                graded=len(scores),
                completion_rate=_rate(len(mine), len(enrolled)),
                on_time_rate=_rate(on_time, len(enrolled)),
            )
        )
    per_student = []
    for sid, name in students:
        mine = [w for w in work if w.student_id == sid]
        done = {w.assignment_id for w in mine}
        scores = [
            percent(w.published_score, by_assignment[w.assignment_id].max_score)
            for w in mine
            if w.published_score is not None
        ]
        per_student.append(
            StudentStats(
                student_id=sid,
                name=name,
                submitted=len(mine),
                on_time=sum(1 for w in mine if not w.late),
                late=sum(1 for w in mine if w.late),
                missing=sum(1 for a in assignments if a.id not in done and _overdue(a, now)),
                graded=len(scores),
                average_percent=_mean(scores),
            )
        )
    all_scores = [
        percent(w.published_score, by_assignment[w.assignment_id].max_score)
        for w in work
        if w.published_score is not None
    ]
    trend = [TrendPoint(**r.model_dump(include=set(TrendPoint.model_fields))) for r in rows]
    return CourseStats(
        course_id=course_id,
        students=len(enrolled),
        average_percent=_mean(all_scores),
        assignments=rows,
        trend=trend,
        trend_direction=trend_direction([t.average_percent for t in trend]),
        per_student=per_student,
    )


def my_course_stats(
    *,
    course_id: uuid.UUID,
    title: str,
    assignments: Sequence[AssignmentFacts],
    work: Sequence[WorkFacts],
    now: datetime,
) -> MyCourseStats:
    ids = {a.id for a in assignments}
    mine = {w.assignment_id: w for w in work if w.assignment_id in ids}
    trend = []
    for a in assignments:
        w = mine.get(a.id)
        score = None if w is None or w.published_score is None else w.published_score
        trend.append(
            TrendPoint(
                assignment_id=a.id,
                title=a.title,
                due_at=a.due_at,
                average_percent=None if score is None else round(percent(score, a.max_score), 2),
            )
        )
    scores = [t.average_percent for t in trend if t.average_percent is not None]
    return MyCourseStats(
        course_id=course_id,
        title=title,
        average_percent=_mean(scores),
        submitted=len(mine),
        on_time=sum(1 for w in mine.values() if not w.late),
        late=sum(1 for w in mine.values() if w.late),
        missing=sum(1 for a in assignments if a.id not in mine and _overdue(a, now)),
        graded=len(scores),
        trend=trend,
        trend_direction=trend_direction([t.average_percent for t in trend]),
    )


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
    ],
}


# A text cell starting with one of these is a formula to Excel, LibreOffice or Sheets (a
# student named `=HYPERLINK(...)` would run in the teacher's spreadsheet).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """OWASP's CSV-injection defence: a leading `'` makes such text inert. Numbers stay numbers
    (a negative score is a number, not a string starting with `-`)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def table_rows(stats: CourseStats, table: str) -> list[list[object]]:
    """The header and rows of one exported table, the same numbers as the JSON, its text made
    safe to open in a spreadsheet."""
    columns = STATS_COLUMNS[table]
    items = stats.assignments if table == "assignments" else stats.per_student
    out: list[list[object]] = [list(columns)]
    for it in items:
        data = it.model_dump(mode="json")
        out.append(["" if data[c] is None else spreadsheet_cell(data[c]) for c in columns])
    return out
