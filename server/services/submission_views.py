"""Submission rows to read models, and the events staff receive about them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from server.domain.events import DomainEvent, course_staff_stream, event, submissions_stream
from server.domain.submission_views import (
    DraftGrade,
    GradeState,
    GradeView,
    StaffSubmissionRead,
    SubmissionRead,
    SubmissionStatus,
)
from server.stores import assignments as assignments_store

Row = Mapping[str, Any]  # an asyncpg.Record, or the dict of a row just written


def _grade(row: Row, max_score: float) -> GradeView | None:
    if row["grade_published_at"] is None:
        return None
    return GradeView(
        score=row["published_score"],
        max_score=max_score,
        feedback=row["published_feedback"] or "",
        question_scores=json.loads(row["published_question_scores"] or "{}"),
        published_at=row["grade_published_at"],
    )


def student_read(row: Row, max_score: float) -> SubmissionRead:
    """The student's own view: answers, timing and, once published, the grade."""
    return SubmissionRead(
        id=row["id"],
        assignment_id=row["assignment_id"],
        attempt=row["attempt"],
        answers=json.loads(row["answers"]),
        submitted_at=row["submitted_at"],
        status=SubmissionStatus.late if row["late"] else SubmissionStatus.submitted,
        seconds_late=row["seconds_late"],
        penalty_percent=row["penalty_percent"],
        grade=_grade(row, max_score),
    )


def grade_state(row: Row) -> GradeState:
    if row["grade_published_at"] is not None and row["graded_at"] <= row["grade_published_at"]:
        return GradeState.published
    return GradeState.draft if row["graded_at"] is not None else GradeState.none


def staff_read(row: Row, max_score: float) -> StaffSubmissionRead:
    draft = None
    if row["graded_at"] is not None:
        draft = DraftGrade(
            score=row["score"],
            feedback=row["feedback"] or "",
            question_scores=json.loads(row["question_scores"] or "{}"),
            graded_by=row["graded_by"],
            graded_at=row["graded_at"],
        )
    return StaffSubmissionRead(
        **student_read(row, max_score).model_dump(),
        student={"id": row["student_id"], "name": row["student_name"]},
        latest=row["latest"],
        auto_score=row["auto_score"],
        needs_review=row["needs_review"],
        question_results=json.loads(row["question_results"]),
        grade_state=grade_state(row),
        draft_grade=draft,
    )


async def submission_event(
    conn: asyncpg.Connection, type: str, row: Row, now: datetime, **extra: object
) -> DomainEvent:
    """To the staff watching the assignment and, as a count update, to the course's staff
    room: both audiences may read every submission, but no answers travel in events."""
    counts = await assignments_store.counts(conn, row["assignment_id"])
    return event(
        type,
        submissions_stream(row["assignment_id"]),
        course_staff_stream(row["course_id"]),
        at=now,
        submission_id=str(row["id"]),
        assignment_id=str(row["assignment_id"]),
        course_id=str(row["course_id"]),
        student_id=str(row["student_id"]),
        attempt=row["attempt"],
        late=row["late"],
        needs_review=row["needs_review"],
        grade_state=grade_state(row).value,
        counts=counts,
        **extra,
    )
