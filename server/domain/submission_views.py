"""What submissions look like over HTTP: the student's view, the staff view, pages, attempts.

A student's view carries their own answers and, once published, their grade; never the
per-question results (they reveal correct answers) before the grade is published.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from server.domain.cursors import Cursor


class SubmissionStatus(StrEnum):
    submitted = "submitted"
    late = "late"


class GradeState(StrEnum):
    none = "none"
    draft = "draft"
    published = "published"


class GradeView(BaseModel):
    score: float
    max_score: float
    feedback: str
    question_scores: dict[str, float]
    published_at: datetime


class DraftGrade(BaseModel):
    score: float
    feedback: str
    question_scores: dict[str, float]
    graded_by: uuid.UUID | None = Field(description="null: scored automatically")
    graded_at: datetime


class SubmissionRead(BaseModel):
    id: uuid.UUID
    assignment_id: uuid.UUID
    attempt: int
    answers: list[dict[str, Any]]
    submitted_at: datetime
    status: SubmissionStatus
    seconds_late: int
    penalty_percent: float
    grade: GradeView | None = Field(None, description="once published")


class StudentRef(BaseModel):
    id: uuid.UUID
    name: str


class StaffSubmissionRead(SubmissionRead):
    student: StudentRef
    latest: bool
    auto_score: float
    needs_review: bool
    question_results: list[dict[str, Any]]
    grade_state: GradeState
    draft_grade: DraftGrade | None = None


class SubmissionHistory(BaseModel):
    items: list[SubmissionRead]
    attempts_used: int
    max_attempts: int


class SubmissionPage(BaseModel):
    items: list[StaffSubmissionRead]
    next_cursor: str | None = None


class SubmissionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: SubmissionStatus | None = None
    needs_review: bool | None = None
    grade_state: GradeState | None = None
    all_attempts: bool = Field(False, description="every attempt, not only each newest")
    limit: int = Field(20, ge=1, le=100)
    cursor: Cursor | None = None


class AttemptRead(BaseModel):
    id: uuid.UUID
    assignment_id: uuid.UUID
    attempt: int
    started_at: datetime
    deadline: datetime
    submitted: bool


class PublishGradesResult(BaseModel):
    published: int
    waiting_for_review: int = Field(description="newest submissions with no grade yet")


class UploadRead(BaseModel):
    file_id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
