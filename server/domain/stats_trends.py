"""Trends over time: assignments grouped into calendar buckets of the viewer's time zone. Pure.

An assignment belongs to the bucket holding its due date, read in the viewer's zone (a task
due Sunday 23:30 in Buenos Aires is that week's, though it is Monday in UTC). The input is one
`AssignmentTally` per assignment — counts the store aggregates in SQL — so a course of 500
students costs the same Python work as a course of 5. Every bucket between the two ends is
listed; one where nothing was due has nulls, so a chart keeps its time axis.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from server.domain.assignment_stats import AssignmentFacts, WorkFacts, moving_average, percent
from server.domain.display import TimeZoneName
from server.domain.errors import InvalidInput
from server.domain.time_range import Instant

MAX_BUCKETS = 260  # five years of weeks: a chart, not a data dump
DEFAULT_WINDOW = 3


class Bucket(StrEnum):
    week = "week"
    month = "month"


@dataclass(frozen=True)
class AssignmentTally:
    """One assignment's newest submissions among the students it concerns."""

    assignment: AssignmentFacts
    expected: int  # students who should hand it in
    submitted: int
    on_time: int
    late: int
    graded: int  # published grades
    percent_sum: float  # of those grades, in percent of max_score


def bucket_start(moment: datetime, bucket: Bucket, zone: ZoneInfo) -> date:
    """The local date the bucket holding `moment` starts on (Monday, or the 1st)."""
    day = moment.astimezone(zone).date()
    if bucket is Bucket.week:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_start(start: date, bucket: Bucket) -> date:
    if bucket is Bucket.week:
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a local day (a 23- or 25-hour day keeps its length)."""
    return datetime.combine(day, time(), zone)


def bucket_label(start: date, bucket: Bucket) -> str:
    if bucket is Bucket.week:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year}-{start.month:02d}"


def calendar(start: datetime, end: datetime, bucket: Bucket, zone: ZoneInfo) -> list[date]:
    """Start dates of every bucket from the one holding `start` to the one holding `end`."""
    first, last = bucket_start(start, bucket, zone), bucket_start(end, bucket, zone)
    days = [first]
    while days[-1] < last:
        if len(days) >= MAX_BUCKETS:
            raise InvalidInput(
                f"The range spans more than {MAX_BUCKETS} {bucket.value}s; narrow it.",
                code="range_too_large",
                details=[{"max_buckets": MAX_BUCKETS}],
            )
        days.append(next_start(days[-1], bucket))
    return days


class TrendBucket(BaseModel):
    label: str = Field(description='"2026-W02" (ISO week) or "2026-01" (month)')
    start: datetime = Field(description="First instant, in the viewer's time zone")
    end: datetime = Field(description="First instant of the next bucket (exclusive)")
    assignments: int = Field(description="Assignments due in the bucket")
    average_percent: float | None = Field(description="Mean published grade, % of max score")
    moving_average_percent: float | None = Field(
        description="Mean of average_percent over this bucket and the window-1 before it, "
        "ignoring buckets without grades; null when none has one"
    )
    submission_rate: float | None = Field(description="Handed in / expected (0..1)")
    on_time_rate: float | None = Field(description="Handed in on time / expected (0..1)")
    late_count: int | None = Field(description="Handed in late")


class Trends(BaseModel):
    """The series the app plots: x = bucket start, y = any of the bucket's figures."""

    course_id: uuid.UUID
    bucket: Bucket
    timezone: str
    window: int
    buckets: list[TrendBucket]


class TrendOptions(BaseModel):
    """Which buckets, over which range: the query of every endpoint that shows trends."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    bucket: Bucket = Bucket.week
    from_: Instant | None = Field(
        None, alias="from", description="due on or after (default: the first due date)"
    )
    to: Instant | None = Field(None, description="due on or before (default: now)")
    window: int = Field(DEFAULT_WINDOW, ge=1, le=12, description="moving-average buckets")
    tz: TimeZoneName | None = Field(None, description="override the caller's preferred zone")


class CourseTrendsQuery(TrendOptions):
    pass


class MyTrendsQuery(TrendOptions):
    course_id: uuid.UUID


def trend_buckets(
    tallies: Iterable[AssignmentTally],
    *,
    bucket: Bucket,
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
    window: int = DEFAULT_WINDOW,
) -> list[TrendBucket]:
    """Buckets from the one holding `start` to the one holding `end`; tallies outside the
    calendar are ignored."""
    days = calendar(start, end, bucket, zone)
    grouped: dict[date, list[AssignmentTally]] = {d: [] for d in days}
    for t in tallies:
        key = bucket_start(t.assignment.due_at, bucket, zone)
        if key in grouped:
            grouped[key].append(t)
    averages: list[float | None] = []
    rows = []
    for day in days:
        group = grouped[day]
        graded = sum(t.graded for t in group)
        expected = sum(t.expected for t in group)
        average = round(sum(t.percent_sum for t in group) / graded, 2) if graded else None
        averages.append(average)
        rows.append(
            {
                "label": bucket_label(day, bucket),
                "start": local_midnight(day, zone),
                "end": local_midnight(next_start(day, bucket), zone),
                "assignments": len(group),
                "average_percent": average,
                "submission_rate": _rate(sum(t.submitted for t in group), expected, group),
                "on_time_rate": _rate(sum(t.on_time for t in group), expected, group),
                "late_count": sum(t.late for t in group) if group else None,
            }
        )
    return [
        TrendBucket(**row, moving_average_percent=moving)
        for row, moving in zip(rows, moving_average(averages, window), strict=True)
    ]


def _rate(part: int, whole: int, group: list[AssignmentTally]) -> float | None:
    return round(part / whole, 4) if group and whole else None


def student_tallies(
    assignments: Sequence[AssignmentFacts], work: Sequence[WorkFacts]
) -> list[AssignmentTally]:
    """One student's own figures in the same shape: each assignment expects one hand-in."""
    mine = {w.assignment_id: w for w in work}
    out = []
    for a in assignments:
        w = mine.get(a.id)
        graded = w is not None and w.published_score is not None
        out.append(
            AssignmentTally(
                assignment=a,
                expected=1,
                submitted=int(w is not None),
                on_time=int(w is not None and not w.late),
                late=int(w is not None and w.late),
                graded=int(graded),
                percent_sum=percent(w.published_score, a.max_score) if graded else 0.0,  # type: ignore[union-attr,arg-type]
            )
        )
    return out
