"""Enrollment, members and assistants: the pydantic family of their requests and replies."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from server.domain.cursors import Cursor


class StatusChange(StrEnum):
    approved = "approved"
    failed = "failed"
    removed = "removed"


class EnrollmentRead(BaseModel):
    course_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    status: str
    seats_left: int


class PermissionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edit_content: bool = False
    grade: bool = False
    communicate: bool = False


class AssistantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    permissions: PermissionsBody


class AssistantRead(BaseModel):
    course_id: uuid.UUID
    user_id: uuid.UUID
    name: str
    permissions: PermissionsBody


class MemberStatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: StatusChange


class MemberRead(BaseModel):
    user_id: uuid.UUID
    name: str
    role: str
    status: str | None = Field(None, description="Students' status; only staff see it.")
    permissions: PermissionsBody | None = Field(None, description="Assistants only.")
    joined_at: datetime


class MembersRead(BaseModel):
    members: list[MemberRead] = Field(description="Everyone for staff; only the staff otherwise.")
    student_count: int


class ActivityQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=100)
    cursor: Cursor | None = None


class ActivityEntry(BaseModel):
    id: int
    actor_id: uuid.UUID
    actor_name: str
    action: str
    subject: dict[str, Any]
    at: datetime


class ActivityPage(BaseModel):
    items: list[ActivityEntry]
    next_cursor: str | None = None
