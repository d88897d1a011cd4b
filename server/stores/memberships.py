"""Queries on `course_members` and the assistant activity log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg


async def course_roles_of_users(
    conn: asyncpg.Connection, user_ids: list[uuid.UUID]
) -> list[asyncpg.Record]:
    """(user_id, course_id, role) of every live membership of these users in a course that is
    not deleted."""
    return await conn.fetch(
        "SELECT m.user_id, m.course_id, m.role FROM course_members m "
        "JOIN courses c ON c.id = m.course_id "
        "WHERE m.user_id = ANY($1::uuid[]) AND m.status <> 'removed' AND c.deleted_at IS NULL",
        user_ids,
    )


async def membership(
    conn: asyncpg.Connection, course_id: uuid.UUID, user_id: uuid.UUID
) -> Mapping[str, Any] | None:
    """role, status, permissions (a dict) of one user in one course, or None.

    Feed it to `server.domain.course_access.Membership.of` to apply the access rules."""
    row = await conn.fetchrow(
        "SELECT role, status, permissions::text AS permissions FROM course_members "
        "WHERE course_id = $1 AND user_id = $2",
        course_id,
        user_id,
    )
    if row is None:
        return None
    return {
        "role": row["role"],
        "status": row["status"],
        "permissions": json.loads(row["permissions"]),
    }


async def insert(
    conn: asyncpg.Connection,
    *,
    course_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    now: datetime,
    permissions: dict[str, bool] | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO course_members (course_id, user_id, role, status, permissions, joined_at, "
        "updated_at) VALUES ($1, $2, $3, 'active', $4::jsonb, $5, $5)",
        course_id,
        user_id,
        role,
        json.dumps(permissions or {}),
        now,
    )


async def upsert_assistant(
    conn: asyncpg.Connection,
    *,
    course_id: uuid.UUID,
    user_id: uuid.UUID,
    permissions: dict[str, bool],
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO course_members (course_id, user_id, role, status, permissions, joined_at, "
        "updated_at) VALUES ($1, $2, 'assistant', 'active', $3::jsonb, $4, $4) "
        "ON CONFLICT (course_id, user_id) DO UPDATE SET role = 'assistant', status = 'active', "
        "permissions = EXCLUDED.permissions, updated_at = EXCLUDED.updated_at",
        course_id,
        user_id,
        json.dumps(permissions),
        now,
    )


async def delete(conn: asyncpg.Connection, course_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    done = await conn.execute(
        "DELETE FROM course_members WHERE course_id = $1 AND user_id = $2", course_id, user_id
    )
    return done != "DELETE 0"


async def set_status(
    conn: asyncpg.Connection, course_id: uuid.UUID, user_id: uuid.UUID, status: str, now: datetime
) -> None:
    await conn.execute(
        "UPDATE course_members SET status = $3, updated_at = $4 "
        "WHERE course_id = $1 AND user_id = $2",
        course_id,
        user_id,
        status,
        now,
    )


async def approved_courses(
    conn: asyncpg.Connection, user_id: uuid.UUID, course_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT course_id FROM course_members WHERE user_id = $1 AND role = 'student' "
        "AND status = 'approved' AND course_id = ANY($2::uuid[])",
        user_id,
        course_ids,
    )
    return {r["course_id"] for r in rows}


async def list_members(
    conn: asyncpg.Connection, course_id: uuid.UUID, *, staff_only: bool
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT m.user_id, u.name, m.role, m.status, m.permissions::text AS permissions, "
        "m.joined_at FROM course_members m JOIN users u ON u.id = m.user_id "
        "WHERE m.course_id = $1 AND m.status <> 'removed' "
        "AND ($2::bool IS FALSE OR m.role <> 'student') "
        "ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'assistant' THEN 1 ELSE 2 END, "
        "m.joined_at, m.user_id",
        course_id,
        staff_only,
    )


async def student_count(conn: asyncpg.Connection, course_id: uuid.UUID) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM course_members WHERE course_id = $1 AND role = 'student' "
        "AND status <> 'removed'",
        course_id,
    )


async def log_activity(
    conn: asyncpg.Connection,
    *,
    course_id: uuid.UUID,
    actor_id: uuid.UUID,
    action: str,
    subject: dict[str, Any],
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO course_activity (course_id, actor_id, action, subject, at) "
        "VALUES ($1, $2, $3, $4::jsonb, $5)",
        course_id,
        actor_id,
        action,
        json.dumps(subject, default=str),
        now,
    )


async def activity_page(
    conn: asyncpg.Connection, course_id: uuid.UUID, *, before_id: int | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT a.id, a.actor_id, u.name AS actor_name, a.action, a.subject::text AS subject, "
        "a.at FROM course_activity a JOIN users u ON u.id = a.actor_id "
        "WHERE a.course_id = $1 AND ($2::bigint IS NULL OR a.id < $2) "
        "ORDER BY a.id DESC LIMIT $3",
        course_id,
        before_id,
        limit,
    )
