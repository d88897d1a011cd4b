"""Submissions: answers, deadlines and lateness, auto-grading, grades. Pure rules, no I/O.

Times are always the server's (`now` from the app clock), never the client's.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from server.domain.assignments import AUTO_GRADED, LatePolicy, Question, QuestionKind
from server.domain.errors import Conflict, InvalidInput

# Answers reaching us this long after an exam attempt's deadline are still taken: the
# student pressed "submit" in time and the network was slow.
ATTEMPT_SLACK = timedelta(seconds=30)
DAY_SECONDS = 86400


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question_id: str = Field(min_length=1, max_length=64)
    text: str | None = Field(None, max_length=50000)
    choice: StrictInt | StrictBool | None = Field(None, description="option index, or true/false")
    file_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Self:
        given = [v for v in (self.text, self.choice, self.file_id) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, choice, file_id")
        return self


class SubmissionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: list[Answer] = Field(max_length=200)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [a.question_id for a in self.answers]
        if len(set(ids)) != len(ids):
            raise ValueError("answer each question at most once")
        return self


def check_answers(questions: list[Question], answers: list[Answer]) -> None:
    """Each answer names a question of the assignment and has the value its kind needs."""
    by_id = {q.id: q for q in questions}
    problems: list[dict[str, Any]] = []
    for i, a in enumerate(answers):
        q = by_id.get(a.question_id)
        field = f"body.answers.{i}"
        if q is None:
            problems.append({"field": field, "message": f"no question {a.question_id!r}"})
        elif q.kind is QuestionKind.text and a.text is None:
            problems.append({"field": field, "message": "a text question needs `text`"})
        elif q.kind is QuestionKind.file and a.file_id is None:
            problems.append({"field": field, "message": "a file question needs `file_id`"})
        elif q.kind is QuestionKind.true_false and type(a.choice) is not bool:
            problems.append({"field": field, "message": "a true_false question needs a bool"})
        elif q.kind is QuestionKind.multiple_choice and (
            type(a.choice) is not int or not 0 <= a.choice < len(q.options)
        ):
            problems.append({"field": field, "message": "choice must be an option index"})
    if problems:
        raise InvalidInput(
            "Some answers do not fit their questions.", code="invalid_answers", details=problems
        )


@dataclass(frozen=True)
class AutoGrade:
    question_results: list[dict[str, Any]]
    auto_score: float
    needs_review: bool


def auto_grade(questions: list[Question], answers: list[Answer]) -> AutoGrade:
    """Choice questions are scored now; answered text and file questions wait for a human."""
    by_q = {a.question_id: a for a in answers}
    results, score, review = [], 0.0, False
    for q in questions:
        a = by_q.get(q.id)
        if q.kind in AUTO_GRADED:
            right = a is not None and type(a.choice) is type(q.correct) and a.choice == q.correct
            points = q.points if right else 0.0
            score += points
            results.append({"question_id": q.id, "points": points, "auto": True})
        else:
            pending = a is not None
            review = review or pending
            # Unanswered hand-graded questions score 0 and need nobody's attention.
            results.append({"question_id": q.id, "points": None if pending else 0.0, "auto": False})
    return AutoGrade(results, score, review)


@dataclass(frozen=True)
class Lateness:
    late: bool
    seconds_late: int
    days_late: int
    penalty_percent: float


def cutoff(due_at: datetime, grace_minutes: int) -> datetime:
    return due_at + timedelta(minutes=grace_minutes)


def lateness(
    *, now: datetime, due_at: datetime, grace_minutes: int, policy: LatePolicy
) -> Lateness:
    """On time until due + grace; after that late (counted from due + grace), with the
    penalty per started day, or refused (409 `deadline_passed`)."""
    end = cutoff(due_at, grace_minutes)
    if now <= end:
        return Lateness(False, 0, 0, 0.0)
    seconds = math.ceil((now - end).total_seconds())
    days = math.ceil(seconds / DAY_SECONDS)
    if not policy.accept_late:
        raise Conflict(
            "The deadline has passed.",
            code="deadline_passed",
            details=[{"deadline": end.isoformat()}],
        )
    if policy.max_late_days is not None and days > policy.max_late_days:
        raise Conflict(
            "Late work is accepted only for a limited time, and it is over.",
            code="deadline_passed",
            details=[{"deadline": end.isoformat(), "max_late_days": policy.max_late_days}],
        )
    return Lateness(True, seconds, days, min(100.0, policy.penalty_percent_per_day * days))


def attempt_deadline(
    *,
    start: datetime,
    due_at: datetime,
    grace_minutes: int,
    time_limit_minutes: int | None,
    policy: LatePolicy,
) -> datetime:
    """The earlier of start + time limit and due + grace. An attempt started after due + grace
    (only when the policy accepts late work) ends with its time limit or the late window,
    whichever comes first, and within a day when neither exists."""
    end = cutoff(due_at, grace_minutes)
    limit = None if time_limit_minutes is None else start + timedelta(minutes=time_limit_minutes)
    if start <= end:
        return end if limit is None else min(limit, end)
    candidates = [t for t in (limit,) if t is not None]
    if policy.max_late_days is not None:
        candidates.append(end + timedelta(days=policy.max_late_days))
    return min(candidates) if candidates else start + timedelta(days=1)


def check_attempt_open(*, now: datetime, deadline: datetime) -> None:
    if now > deadline + ATTEMPT_SLACK:
        raise Conflict(
            "The time for this attempt is over.",
            code="attempt_expired",
            details=[{"deadline": deadline.isoformat()}],
        )


def with_penalty(score: float, penalty_percent: float) -> float:
    return round(score * (1 - penalty_percent / 100), 4)


def total(question_results: list[dict[str, Any]], overrides: dict[str, float]) -> float | None:
    """The raw score from per-question points (staff overrides win); None while a
    hand-graded answer has no points yet."""
    points = []
    for r in question_results:
        p = overrides.get(r["question_id"], r["points"])
        if p is None:
            return None
        points.append(p)
    return float(sum(points))


class GradeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: float | None = Field(
        None, ge=0, description="omit to compute from question scores and the late penalty"
    )
    feedback: str = Field("", max_length=20000)
    question_scores: dict[str, float] = Field(default_factory=dict)


def check_grade(questions: list[Question], grade: GradeUpdate, max_score: float) -> None:
    by_id = {q.id: q for q in questions}
    problems = []
    for qid, points in grade.question_scores.items():
        q = by_id.get(qid)
        if q is None:
            problems.append({"field": f"body.question_scores.{qid}", "message": "no such question"})
        elif not 0 <= points <= q.points:
            problems.append(
                {"field": f"body.question_scores.{qid}", "message": f"between 0 and {q.points}"}
            )
    if grade.score is not None and grade.score > max_score:
        problems.append({"field": "body.score", "message": f"at most {max_score}"})
    if problems:
        raise InvalidInput(
            "The grade does not fit the assignment.", code="invalid_grade", details=problems
        )
