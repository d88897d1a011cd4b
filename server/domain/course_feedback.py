"""Feedback both ways: students rate a course (one each, editable); staff rate a student."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from server.domain.cursors import Cursor
from server.domain.time_range import Day


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent).")
    comment: str = Field("", max_length=2000)


class _ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    rating: int | None = Field(None, ge=1, le=5)
    from_date: Day | None = Field(None, alias="from", description="On or after this day (UTC).")
    to_date: Day | None = Field(None, alias="to", description="On or before this day (UTC).")
    limit: int = Field(20, ge=1, le=100)
    cursor: Cursor | None = None


class CourseFeedbackQuery(_ListQuery):
    pass


class MyFeedbackQuery(_ListQuery):
    course_id: uuid.UUID | None = None


class CourseFeedbackRead(BaseModel):
    course_id: uuid.UUID
    student_id: uuid.UUID
    student_name: str
    rating: int
    comment: str
    created_at: datetime
    updated_at: datetime


class CourseFeedbackPage(BaseModel):
    items: list[CourseFeedbackRead]
    next_cursor: str | None = None
    count: int = Field(description="Entries matching the filters.")
    average: float | None = Field(description="Mean rating of the matching entries.")
    distribution: dict[str, int] = Field(description='Matching entries per rating, "1".."5".')


class StudentFeedbackRead(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    course_title: str
    student_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str
    rating: int
    comment: str
    created_at: datetime


class StudentFeedbackPage(BaseModel):
    items: list[StudentFeedbackRead]
    next_cursor: str | None = None


def distribution(counts: dict[int, int]) -> tuple[int, float | None, dict[str, int]]:
    """(count, average rounded to 2 places, per-rating counts with every rating present)."""
    total = sum(counts.values())
    average = round(sum(r * n for r, n in counts.items()) / total, 2) if total else None
    return total, average, {str(r): counts.get(r, 0) for r in range(1, 6)}
