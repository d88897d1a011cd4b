"""Students at risk: three rules over a course's facts, each flag with its reason in words. Pure.

- missed_assignments: did not hand in any of the last N overdue assignments (past due and
  grace) among those due after they enrolled.
- grade_drop: their average fell by more than X points from the first to the last of their
  three most recent buckets holding a published grade of theirs (at least two needed).
- inactive: no activity in the course (a submission; forum posts once the forum exists) for
  D days or more, counted from enrolment when there was none.
Only active students are assessed: approved, failed and removed ones are done with the course.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from server.domain.assignment_stats import AssignmentFacts, WorkFacts, overdue, percent
from server.domain.display import Locale, TimeZoneName
from server.domain.events import DomainEvent, course_staff_stream, event
from server.domain.report_text import reason, reason_in_every_locale
from server.domain.stats_trends import Bucket, bucket_label, bucket_start

DEFAULT_MISSED = 2
DEFAULT_DROP_POINTS = 15.0
DEFAULT_INACTIVE_DAYS = 14
DROP_BUCKETS = 3
DIGEST_LIST_LIMIT = 50  # students named in one digest event; the counts cover everyone
DIGEST_HOUR = 8  # Monday, local time of the platform's zone


class RiskRule(StrEnum):
    missed_assignments = "missed_assignments"
    grade_drop = "grade_drop"
    inactive = "inactive"


class AtRiskParameters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    missed: int = Field(
        DEFAULT_MISSED, ge=1, le=20, description="N: the last N overdue assignments all missed"
    )
    drop_points: float = Field(
        DEFAULT_DROP_POINTS, gt=0, le=100, description="X: percentage points the average fell"
    )
    inactive_days: int = Field(
        DEFAULT_INACTIVE_DAYS, ge=1, le=365, description="D: days without course activity"
    )
    bucket: Bucket = Field(Bucket.week, description="the periods grade_drop compares")


class AtRiskQuery(AtRiskParameters):
    tz: TimeZoneName | None = Field(None, description="override the caller's preferred zone")


@dataclass(frozen=True)
class StudentFacts:
    student_id: uuid.UUID
    name: str
    joined_at: datetime
    last_activity_at: datetime | None


class RiskReason(BaseModel):
    rule: RiskRule
    message: str = Field(description="The reason in words, in the caller's language")
    details: dict[str, Any] = Field(description="The figures behind the message")


class StudentAtRisk(BaseModel):
    student_id: uuid.UUID
    name: str
    reasons: list[RiskReason]


class AtRiskCounts(BaseModel):
    students: int = Field(description="Active students assessed")
    at_risk: int
    missed_assignments: int
    grade_drop: int
    inactive: int


class AtRiskReport(BaseModel):
    course_id: uuid.UUID
    title: str
    generated_at: datetime = Field(description="In the caller's time zone")
    timezone: str
    parameters: AtRiskParameters
    counts: AtRiskCounts
    students: list[StudentAtRisk] = Field(description="Most reasons first, then by name")


def missed_rule(
    joined_at: datetime, past_due: Sequence[AssignmentFacts], handed_in: set[uuid.UUID], n: int
) -> dict[str, Any] | None:
    """`past_due`: the course's overdue assignments, oldest first."""
    last = [a for a in past_due if a.due_at >= joined_at][-n:]
    if len(last) < n or any(a.id in handed_in for a in last):
        return None
    return {
        "count": n,
        "titles": [a.title for a in last],
        "assignment_ids": [str(a.id) for a in last],
    }


def drop_rule(
    grades: Sequence[tuple[date, float]], bucket: Bucket, points: float
) -> dict[str, Any] | None:
    """`grades`: (start of the bucket the assignment is due in, percent) of one student's
    published grades."""
    by_bucket: dict[date, list[float]] = defaultdict(list)
    for start, value in grades:
        by_bucket[start].append(value)
    recent = sorted(by_bucket)[-DROP_BUCKETS:]
    if len(recent) < 2:
        return None
    first = round(sum(by_bucket[recent[0]]) / len(by_bucket[recent[0]]), 2)
    last = round(sum(by_bucket[recent[-1]]) / len(by_bucket[recent[-1]]), 2)
    drop = round(first - last, 2)
    if drop <= points:
        return None
    return {
        "first": first,
        "last": last,
        "drop": drop,
        "buckets": [bucket_label(d, bucket) for d in recent],
    }


def inactive_rule(
    joined_at: datetime, last_activity_at: datetime | None, now: datetime, days: int
) -> dict[str, Any] | None:
    since = last_activity_at or joined_at
    idle = (now - since).days
    if idle < days:
        return None
    return {
        "days": idle,
        "last_activity_at": last_activity_at.isoformat() if last_activity_at else None,
    }


def assess(
    *,
    course_id: uuid.UUID,
    title: str,
    students: Sequence[StudentFacts],
    assignments: Sequence[AssignmentFacts],
    work: Sequence[WorkFacts],
    params: AtRiskParameters,
    zone: ZoneInfo,
    locale: Locale,
    now: datetime,
) -> AtRiskReport:
    # Per assignment once, not per hand-in: its bucket (in the viewer's zone).
    by_id = {a.id: (a, bucket_start(a.due_at, params.bucket, zone)) for a in assignments}
    past_due = sorted((a for a in assignments if overdue(a, now)), key=lambda a: (a.due_at, a.id))
    handed_in: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    grades: dict[uuid.UUID, list[tuple[date, float]]] = defaultdict(list)
    for w in work:
        found = by_id.get(w.assignment_id)
        if found is None:
            continue
        a, start = found
        handed_in[w.student_id].add(a.id)
        if w.published_score is not None:
            grades[w.student_id].append((start, percent(w.published_score, a.max_score)))
    flagged = []
    counts = dict.fromkeys(RiskRule, 0)
    for s in students:
        found = {
            RiskRule.missed_assignments: missed_rule(
                s.joined_at, past_due, handed_in[s.student_id], params.missed
            ),
            RiskRule.grade_drop: drop_rule(grades[s.student_id], params.bucket, params.drop_points),
            RiskRule.inactive: inactive_rule(
                s.joined_at, s.last_activity_at, now, params.inactive_days
            ),
        }
        reasons = [
            RiskReason(rule=rule, message=reason(rule, details, locale), details=details)
            for rule, details in found.items()
            if details is not None
        ]
        for r in reasons:
            counts[r.rule] += 1
        if reasons:
            flagged.append(StudentAtRisk(student_id=s.student_id, name=s.name, reasons=reasons))
    flagged.sort(key=lambda s: (-len(s.reasons), s.name, s.student_id))
    return AtRiskReport(
        course_id=course_id,
        title=title,
        generated_at=now.astimezone(zone),
        timezone=zone.key,
        parameters=AtRiskParameters(
            **params.model_dump(include=set(AtRiskParameters.model_fields))
        ),
        counts=AtRiskCounts(
            students=len(students), at_risk=len(flagged), **{r.value: n for r, n in counts.items()}
        ),
        students=flagged,
    )


def digest_week(now: datetime, zone: ZoneInfo) -> date:
    """The Monday of the week whose digest is due: each week's falls due on Monday at
    DIGEST_HOUR in `zone`, so between Monday midnight and then it is still last week's."""
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    if local < datetime.combine(monday, time(DIGEST_HOUR), zone):
        monday -= timedelta(days=7)
    return monday


def digest_event(report: AtRiskReport, *, week: date, now: datetime) -> DomainEvent:
    """What the notifications pipeline needs to tell the course's staff, in either language;
    the staff stream may read it all (GET /courses/{id}/stats/at-risk shows the same)."""
    year, number, _ = week.isocalendar()
    return event(
        "course.at_risk_digest",
        course_staff_stream(report.course_id),
        at=now,
        course_id=str(report.course_id),
        title=report.title,
        week=f"{year}-W{number:02d}",
        counts=report.counts.model_dump(),
        parameters=report.parameters.model_dump(mode="json"),
        students=[
            {
                "student_id": str(s.student_id),
                "name": s.name,
                "reasons": [
                    {
                        "rule": r.rule.value,
                        "details": r.details,
                        "messages": reason_in_every_locale(r.rule, r.details),
                    }
                    for r in s.reasons
                ],
            }
            for s in report.students[:DIGEST_LIST_LIMIT]
        ],
    )
