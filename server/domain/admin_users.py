"""What admins see of and do to users: the list, the detail, blocks and permissions. Pure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from server.domain.cursors import Cursor
from server.domain.errors import InvalidInput, PermissionDenied
from server.domain.time_range import Day, Instant
from server.domain.users import Strict

SearchText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PermissionName = Literal["can_create_courses", "can_enroll", "can_post_forum"]
PERMISSIONS: tuple[PermissionName, ...] = ("can_create_courses", "can_enroll", "can_post_forum")
_DOING = {
    "can_create_courses": "create courses",
    "can_enroll": "enroll in courses",
    "can_post_forum": "post in forums",
}


class AdminUserQuery(Strict):
    q: SearchText | None = Field(None, description="Part of the name or email.")
    status: Literal["active", "blocked"] | None = None
    registered_from: Day | None = Field(None, description="Signed up on or after this day.")
    registered_to: Day | None = Field(None, description="Signed up on or before this day.")
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=100)


class CourseCounts(BaseModel):
    owned: int
    teaching: int = Field(description="Courses where the user is an assistant.")
    enrolled: int


class AdminUserItem(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    status: str
    email_verified: bool
    registered_at: datetime
    last_login_at: datetime | None
    courses: CourseCounts


class AdminUserPage(BaseModel):
    items: list[AdminUserItem]
    next_cursor: str | None


class Permissions(BaseModel):
    can_create_courses: bool = True
    can_enroll: bool = True
    can_post_forum: bool = True


class PermissionsUpdate(Strict):
    can_create_courses: bool | None = None
    can_enroll: bool | None = None
    can_post_forum: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> PermissionsUpdate:
        if not self.model_fields_set or any(
            getattr(self, name) is None for name in self.model_fields_set
        ):
            raise ValueError("send at least one permission, each true or false")
        return self


class BlockRequest(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    until: Instant | None = Field(None, description="Lifts itself then; null: until lifted.")


class BlockRead(BaseModel):
    reason: str
    until: datetime | None
    blocked_by: uuid.UUID
    blocked_at: datetime


class UserCourse(BaseModel):
    course_id: uuid.UUID
    title: str
    role: str
    status: str


class AdminUserDetail(AdminUserItem):
    block: BlockRead | None
    permissions: Permissions
    course_list: list[UserCourse]
    recent_deliveries: list[dict[str, Any]]
    recent_audit: list[dict[str, Any]]


def check_block_until(until: datetime | None, now: datetime) -> None:
    if until is not None and until <= now:
        raise InvalidInput(
            "A block's end must be in the future.",
            code="until_in_past",
            details=[{"field": "until", "now": now.isoformat()}],
        )


def refuse_without(permission: PermissionName, allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(
            f"An administrator has withdrawn your permission to {_DOING[permission]}.",
            code="permission_withdrawn",
            details=[{"permission": permission}],
        )
