"""Assignments: the pydantic family (Create/Update/Read/Item/Page) and the question rules.

Pure: no I/O. Questions carry `correct` for auto-grading; the student views use
`QuestionView`, which has no such field, so a correct answer cannot leak by accident.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

from server.domain.cursors import Cursor
from server.domain.patches import PartialUpdate
from server.domain.time_range import Instant


class AssignmentKind(StrEnum):
    task = "task"
    exam = "exam"


class QuestionKind(StrEnum):
    text = "text"
    multiple_choice = "multiple_choice"
    true_false = "true_false"
    file = "file"


AUTO_GRADED = frozenset({QuestionKind.multiple_choice, QuestionKind.true_false})

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
QuestionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class QuestionView(BaseModel):
    """A question as a student sees it."""

    id: QuestionId
    kind: QuestionKind
    prompt: str = Field(min_length=1, max_length=5000)
    options: list[Option] = Field(default_factory=list, max_length=20)
    points: float = Field(1, ge=0, le=1000)


class Question(QuestionView):
    """A question as staff write it: `correct` is an option index (multiple_choice), a bool
    (true_false), or absent (text, file: graded by hand)."""

    model_config = ConfigDict(extra="forbid")
    # Strict: "yes" or 1.0 is not a true_false or multiple_choice key.
    correct: StrictInt | StrictBool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind is QuestionKind.multiple_choice:
            if len(self.options) < 2:
                raise ValueError("a multiple_choice question needs at least 2 options")
            if type(self.correct) is not int or not 0 <= self.correct < len(self.options):
                raise ValueError("correct must be the index of one of the options")
        elif self.kind is QuestionKind.true_false:
            if self.options or type(self.correct) is not bool:
                raise ValueError("a true_false question has no options and correct: true|false")
        elif self.options or self.correct is not None:
            raise ValueError(f"a {self.kind.value} question has no options and no correct answer")
        return self

    def view(self) -> QuestionView:
        return QuestionView(**self.model_dump(exclude={"correct"}))


class LatePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accept_late: bool = False
    penalty_percent_per_day: float = Field(0, ge=0, le=100)
    max_late_days: int | None = Field(None, ge=0, le=365, description="null: no limit")


def _questions_problems(questions: list[Question]) -> str | None:
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        return "question ids must be unique"
    return None


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: AssignmentKind
    title: Title
    description: str = Field("", max_length=20000)
    instructions: str = Field("", max_length=20000)
    due_at: Instant
    grace_minutes: int = Field(0, ge=0, le=10080)
    late_policy: LatePolicy = Field(default_factory=LatePolicy)
    time_limit_minutes: int | None = Field(None, ge=1, le=1440, description="exams only")
    max_attempts: int = Field(1, ge=1, le=100)
    questions: list[Question] = Field(min_length=1, max_length=200)
    attachments: list[uuid.UUID] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.time_limit_minutes is not None and self.kind is not AssignmentKind.exam:
            raise ValueError("time_limit_minutes applies to exams only")
        if problem := _questions_problems(self.questions):
            raise ValueError(problem)
        if len(set(self.attachments)) != len(self.attachments):
            raise ValueError("attachments must not repeat a file")
        return self


class AssignmentUpdate(PartialUpdate):
    """Any subset of the fields; the service validates the merged result as a whole."""

    nullable = frozenset({"time_limit_minutes"})  # null removes an exam's time limit
    kind: AssignmentKind | None = None
    title: Title | None = None
    description: str | None = Field(None, max_length=20000)
    instructions: str | None = Field(None, max_length=20000)
    due_at: Instant | None = None
    grace_minutes: int | None = Field(None, ge=0, le=10080)
    late_policy: LatePolicy | None = None
    time_limit_minutes: int | None = Field(None, ge=1, le=1440)
    max_attempts: int | None = Field(None, ge=1, le=100)
    questions: list[Question] | None = Field(None, min_length=1, max_length=200)
    attachments: list[uuid.UUID] | None = Field(None, max_length=20)


def max_score(questions: list[Question]) -> float:
    return float(sum(q.points for q in questions))


class MyStatus(StrEnum):
    pending = "pending"
    submitted = "submitted"
    late = "late"
    graded = "graded"
    missing = "missing"


class AssignmentState(StrEnum):
    draft = "draft"
    published = "published"


class AssignmentCounts(BaseModel):
    """Per student, their newest attempt: handed in, late, grade published, waiting for a
    human grade."""

    submitted: int = 0
    late: int = 0
    graded: int = 0
    needs_review: int = 0


class AssignmentItem(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    kind: AssignmentKind
    title: str
    due_at: datetime
    state: AssignmentState
    max_score: float
    counts: AssignmentCounts | None = Field(None, description="staff only")
    my_status: MyStatus | None = Field(None, description="students only")


class AssignmentPage(BaseModel):
    items: list[AssignmentItem]
    next_cursor: str | None = None


class AssignmentRead(AssignmentItem):
    description: str
    instructions: str
    grace_minutes: int
    late_policy: LatePolicy
    time_limit_minutes: int | None
    max_attempts: int
    # Staff get `Question` (with `correct`); students get `QuestionView` (without).
    questions: list[Question] | list[QuestionView]
    attachments: list[uuid.UUID]
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    attempts_used: int | None = Field(None, description="students only")


STAFF_FILTERS = frozenset({"draft", "published"})
STUDENT_FILTERS = frozenset(s.value for s in MyStatus)


class AssignmentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str | None = Field(
        None,
        pattern="^(pending|submitted|late|graded|missing|draft|published)$",
        description="students: my_status values; staff: draft | published",
    )
    due_from: Instant | None = None
    due_to: Instant | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: Cursor | None = None


def merged_assignment(current: dict[str, Any], changes: AssignmentUpdate) -> dict[str, Any]:
    """The assignment as it would be after the PATCH, as plain data to validate again."""
    merged = dict(current)
    merged.update(changes.model_dump(mode="json", include=changes.model_fields_set))
    return merged
