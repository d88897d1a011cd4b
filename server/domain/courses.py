"""Courses: the pydantic family (Create/Update/Read/Item/Page), schedule rules, badges.

Pure: no I/O. The services call `check_schedule` on the merged values of an update, because a
PATCH can move one date past another it does not mention.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from server.domain.cursors import Cursor
from server.domain.errors import InvalidInput
from server.domain.patches import PartialUpdate
from server.domain.time_range import Day


class Level(StrEnum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


class Modality(StrEnum):
    online = "online"
    in_person = "in_person"
    hybrid = "hybrid"


class Badge(StrEnum):
    limited_seats = "limited_seats"
    last_days = "last_days"


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Objective = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Capacity = Annotated[int, Field(ge=1, le=10000, description="Seats, 1..10000.")]
LAST_DAYS = 3  # enrollment closing within this many days earns the `last_days` badge


class Eligibility(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prerequisite_course_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


def schedule_problems(starts_on: date, ends_on: date, enroll_until: date) -> list[dict[str, str]]:
    problems = []
    if ends_on < starts_on:
        problems.append({"field": "ends_on", "message": "ends_on must be on or after starts_on."})
    if enroll_until > ends_on:
        problems.append(
            {"field": "enroll_until", "message": "enroll_until must be on or before ends_on."}
        )
    return problems


def check_schedule(starts_on: date, ends_on: date, enroll_until: date) -> None:
    if problems := schedule_problems(starts_on, ends_on, enroll_until):
        raise InvalidInput(problems[0]["message"], code="invalid_schedule", details=problems)


class CourseFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    description: str = Field("", max_length=10000)
    short_description: str = Field("", max_length=300)
    category: Category
    level: Level
    modality: Modality
    capacity: Capacity
    starts_on: Day
    ends_on: Day
    enroll_until: Day
    objectives: list[Objective] = Field(default_factory=list, max_length=50)
    syllabus: str = Field("", max_length=20000)
    eligibility: Eligibility = Field(default_factory=Eligibility)


class CourseCreate(CourseFields):
    @model_validator(mode="after")
    def _schedule(self) -> Self:
        if problems := schedule_problems(self.starts_on, self.ends_on, self.enroll_until):
            raise ValueError(" ".join(p["message"] for p in problems))
        return self


class CourseUpdate(PartialUpdate):
    """Any subset of the fields; the merged result is checked again by the service."""

    title: Title | None = None
    description: str | None = Field(None, max_length=10000)
    short_description: str | None = Field(None, max_length=300)
    category: Category | None = None
    level: Level | None = None
    modality: Modality | None = None
    capacity: Capacity | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    enroll_until: Day | None = None
    objectives: list[Objective] | None = Field(None, max_length=50)
    syllabus: str | None = Field(None, max_length=20000)
    eligibility: Eligibility | None = None


class PublicProfile(BaseModel):
    id: uuid.UUID
    name: str
    bio: str = ""


class ModuleOutline(BaseModel):
    id: uuid.UUID
    title: str
    position: int


class PrerequisiteRef(BaseModel):
    id: uuid.UUID
    title: str


class CourseItem(BaseModel):
    id: uuid.UUID
    title: str
    short_description: str
    category: str
    level: Level
    modality: Modality
    capacity: int
    seats_left: int
    starts_on: date
    ends_on: date
    enroll_until: date
    badges: list[Badge]
    my_role: str | None = Field(description="owner | assistant | student | null")
    deleted: bool = False


class CoursePage(BaseModel):
    items: list[CourseItem]
    next_cursor: str | None = None


class CourseRead(CourseItem):
    description: str
    objectives: list[str]
    syllabus: str
    eligibility: Eligibility
    prerequisites: list[PrerequisiteRef]
    owner: PublicProfile
    modules: list[ModuleOutline]
    my_status: str | None = None
    created_at: datetime
    updated_at: datetime


class CatalogQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str | None = Field(None, max_length=200, description="Keywords in title or description.")
    category: str | None = Field(None, max_length=60)
    level: Level | None = None
    modality: Modality | None = None
    starts_after: Day | None = None
    starts_before: Day | None = None
    available_only: bool = False
    limit: int = Field(20, ge=1, le=100)
    cursor: Cursor | None = None


class MyCoursesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str | None = Field(None, pattern="^(teaching|learning)$")
    state: str | None = Field(None, pattern="^(active|finished)$")
    q: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=100)
    cursor: Cursor | None = None


def badges(*, capacity: int, seats_taken: int, enroll_until: date, today: date) -> list[Badge]:
    out = []
    if (capacity - seats_taken) * 10 <= capacity:
        out.append(Badge.limited_seats)
    if 0 <= (enroll_until - today).days <= LAST_DAYS:
        out.append(Badge.last_days)
    return out


def enrollment_open(enroll_until: date, today: date) -> bool:
    """Enrollment stays open through the whole `enroll_until` day (UTC)."""
    return today <= enroll_until


def missing_prerequisites(required: list[uuid.UUID], approved: set[uuid.UUID]) -> list[uuid.UUID]:
    return [cid for cid in required if cid not in approved]


def item_from(row: Any, *, today: date, my_role: str | None) -> dict[str, Any]:
    """The catalog item fields from a course row (any mapping with the course columns)."""
    return {
        "id": row["id"],
        "title": row["title"],
        "short_description": row["short_description"],
        "category": row["category"],
        "level": row["level"],  # the model validates it into the enum
        "modality": row["modality"],
        "capacity": row["capacity"],
        "seats_left": row["capacity"] - row["seats_taken"],
        "starts_on": row["starts_on"],
        "ends_on": row["ends_on"],
        "enroll_until": row["enroll_until"],
        "badges": badges(
            capacity=row["capacity"],
            seats_taken=row["seats_taken"],
            enroll_until=row["enroll_until"],
            today=today,
        ),
        "my_role": my_role,
        "deleted": row["deleted_at"] is not None,
    }
