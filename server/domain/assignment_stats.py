"""Progress statistics, computed from plain rows: pure, so the arithmetic is tested alone.

Only each student's newest attempt counts, and only published grades (a draft is not a
grade yet). Percentages are of the assignment's max score; rates are of the course's students.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from server.domain.time_range import Instant

TREND_STEP = 1.0  # percentage points per assignment that count as a real change
MOVING_WINDOW = 3  # assignments in the per-assignment moving average
GRADE_BIN = 10  # percentage points per histogram bar


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
    moving_average_percent: float | None = Field(
        None, description=f"mean average_percent of this and the {MOVING_WINDOW - 1} before"
    )


class GradeBin(BaseModel):
    lower: int = Field(description="percent, inclusive")
    upper: int = Field(description="percent, exclusive (the last bar includes 100)")
    count: int


class StudentStats(BaseModel):
    student_id: uuid.UUID
    name: str
    submitted: int
    on_time: int
    late: int
    missing: int
    graded: int
    average_percent: float | None
    trend_direction: TrendDirection | None = Field(
        None, description="slope of the student's own grades, in assignment order"
    )


class CourseStats(BaseModel):
    course_id: uuid.UUID
    students: int
    average_percent: float | None
    assignments: list[AssignmentStats]
    trend: list[TrendPoint]
    trend_direction: TrendDirection | None
    per_student: list[StudentStats]
    grade_distribution: list[GradeBin] = Field(
        default_factory=list, description="every published grade, in bars of 10 points"
    )


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
    grade_distribution: list[GradeBin] = Field(default_factory=list)


class MyStats(BaseModel):
    courses: list[MyCourseStats]


class StatsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: Instant | None = Field(None, alias="from", description="due on or after")
    to: Instant | None = Field(None, description="due on or before")
    format: str = Field("json", pattern="^(json|csv|xlsx)$")
    table: str = Field(
        "assignments",
        pattern="^(assignments|students|trends)$",
        description="which table csv exports",
    )


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def percent(score: float, max_score: float) -> float:
    return 100.0 * score / max_score if max_score else 0.0


def grade_distribution(percents: Sequence[float]) -> list[GradeBin]:
    """Bars of GRADE_BIN points; 100 % (and any bonus above it) counts in the last one."""
    bars = 100 // GRADE_BIN
    counts = [0] * bars
    for p in percents:
        counts[min(bars - 1, max(0, int(p // GRADE_BIN)))] += 1
    return [
        GradeBin(lower=i * GRADE_BIN, upper=(i + 1) * GRADE_BIN, count=n)
        for i, n in enumerate(counts)
    ]


def moving_average(values: Sequence[float | None], window: int) -> list[float | None]:
    """Per position, the mean of the values present among it and the window-1 before it."""
    out: list[float | None] = []
    for i in range(len(values)):
        out.append(_mean([v for v in values[max(0, i - window + 1) : i + 1] if v is not None]))
    return out


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


def overdue(a: AssignmentFacts, now: datetime) -> bool:
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
    # One pass over the work, grouped by assignment; each student's list then fills in
    # assignment order (scanning the work per student was quadratic: 500 x 20,000).
    per_assignment: dict[uuid.UUID, list[WorkFacts]] = defaultdict(list)
    for w in work:
        if w.student_id in enrolled:  # former students no longer count
            per_assignment[w.assignment_id].append(w)
    # (late, percent or None, past due) per hand-in
    per_student: dict[uuid.UUID, list[tuple[bool, float | None, bool]]] = defaultdict(list)
    rows = []
    for a in assignments:
        mine = per_assignment[a.id]
        past_due = overdue(a, now)
        scores = []
        for w in mine:
            value = None if w.published_score is None else percent(w.published_score, a.max_score)
            per_student[w.student_id].append((w.late, value, past_due))
            if value is not None:
                scores.append(value)
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
    moving = moving_average([r.average_percent for r in rows], MOVING_WINDOW)
    for row, value in zip(rows, moving, strict=True):
        row.moving_average_percent = value
    overdue_count = sum(1 for a in assignments if overdue(a, now))
    people = []
    all_scores: list[float] = []
    for sid, name in students:
        handed_in = per_student[sid]
        scores = [v for _, v, _ in handed_in if v is not None]
        late = sum(1 for is_late, _, _ in handed_in if is_late)
        all_scores += scores
        people.append(
            StudentStats(
                student_id=sid,
                name=name,
                submitted=len(handed_in),
                on_time=len(handed_in) - late,
                late=late,
                missing=overdue_count - sum(1 for _, _, past in handed_in if past),
                graded=len(scores),
                average_percent=_mean(scores),
                trend_direction=trend_direction(scores),
            )
        )
    trend = [TrendPoint(**r.model_dump(include=set(TrendPoint.model_fields))) for r in rows]
    return CourseStats(
        course_id=course_id,
        students=len(enrolled),
        average_percent=_mean(all_scores),
        assignments=rows,
        trend=trend,
        trend_direction=trend_direction([t.average_percent for t in trend]),
        per_student=people,
        grade_distribution=grade_distribution(all_scores),
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
        missing=sum(1 for a in assignments if a.id not in mine and overdue(a, now)),
        graded=len(scores),
        trend=trend,
        trend_direction=trend_direction([t.average_percent for t in trend]),
        grade_distribution=grade_distribution(scores),
    )
