"""What every course use case starts with: the course row and the caller's membership.

Also keeps the assistant activity log, so each use case records its assistant actions the
same way, in its own transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from server.domain import course_access as access
from server.domain.course_access import Membership
from server.domain.errors import Conflict, NotFound
from server.stores import courses as courses_store
from server.stores import memberships as members_store


async def course_and_membership(
    conn: asyncpg.Connection,
    course_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    lock: bool = False,
    for_change: bool = False,
) -> tuple[asyncpg.Record, Membership | None]:
    """404 for unknown courses and for deleted ones the caller is not a member of; with
    `for_change`, a deleted course refuses changes (409 `course_deleted`)."""
    course = await courses_store.get(conn, course_id, lock=lock)
    if course is None:
        raise NotFound("No such course.", code="course_not_found")
    m = Membership.of(await members_store.membership(conn, course_id, user_id))
    access.require_visible(m, deleted=course["deleted_at"] is not None)
    if for_change and course["deleted_at"] is not None:
        raise Conflict("The course was deleted.", code="course_deleted")
    return course, m


async def log_if_assistant(
    conn: asyncpg.Connection,
    m: Membership | None,
    *,
    course_id: uuid.UUID,
    actor_id: uuid.UUID,
    action: str,
    now: datetime,
    **subject: Any,
) -> None:
    """The owner sees every assistant action in GET /courses/{id}/activity."""
    if access.is_assistant(m):
        await members_store.log_activity(
            conn, course_id=course_id, actor_id=actor_id, action=action, subject=subject, now=now
        )
