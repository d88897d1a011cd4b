"""What an admin allowed a user to do, checked where each permission applies.

Call it inside the use case's transaction (on `uow.conn`): it reads the row an admin's change
commits, so a change takes effect at the very next request and there is no cache to invalidate.

- `can_create_courses`: course creation (server/services/courses.py)
- `can_enroll`: enrolling (server/services/enrollment.py)
- `can_post_forum`: the forum calls `require_permission(conn, user_id, "can_post_forum")`
"""

from __future__ import annotations

import uuid

import asyncpg

from server.domain.admin_users import PermissionName, refuse_without
from server.stores import admin_users as store


async def allowed(conn: asyncpg.Connection, user_id: uuid.UUID, name: PermissionName) -> bool:
    return await store.permission(conn, user_id, name)


async def require_permission(
    conn: asyncpg.Connection, user_id: uuid.UUID, name: PermissionName
) -> None:
    """403 `permission_withdrawn` (details: the permission) unless the user may."""
    refuse_without(name, await allowed(conn, user_id, name))
