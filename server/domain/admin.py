"""The administration realm: admin accounts and their sessions. Pure: no I/O here.

Admins are not users: they live in Mongo `admins`, sign in at /api/v1/admin/auth and carry
access tokens whose `realm` claim is "admin" (the audience: a user route refuses them, and an
admin route refuses user tokens with 403).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, EmailStr, Field

from server.domain.errors import Conflict
from server.domain.users import Name, Password, Strict

ADMIN_REALM = "admin"
AdminStatus = Literal["active", "removed"]


class AdminLogin(Strict):
    email: EmailStr
    password: Password


class AdminCreate(Strict):
    email: EmailStr
    name: Name
    password: Password


class AdminRead(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    status: AdminStatus
    created_at: datetime
    created_by: uuid.UUID | None = Field(None, description="The admin who created it; null: CLI.")


class AdminList(BaseModel):
    items: list[AdminRead]


class AdminSession(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    admin: AdminRead


def admin_read(doc: dict) -> AdminRead:
    return AdminRead(
        id=uuid.UUID(doc["_id"]),
        email=doc["email"],
        name=doc["name"],
        status=doc["status"],
        created_at=doc["created_at"],
        created_by=uuid.UUID(doc["created_by"]) if doc.get("created_by") else None,
    )


def check_removal(*, actor_id: uuid.UUID, target_id: uuid.UUID, active: int) -> None:
    """An admin never removes themselves, and the last active admin is never removed."""
    if actor_id == target_id:
        raise Conflict("You cannot remove your own admin account.", code="cannot_remove_self")
    if active <= 1:
        raise Conflict("This is the last admin; create another one first.", code="last_admin")
