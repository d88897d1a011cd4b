"""Postgres queries of the admins' user views, blocks and permissions."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

# A user's row as admins see it: last login is the newest first token of a refresh family (a
# login starts a family; a refresh continues one), course counts exclude removed memberships.
_ITEM = """
SELECT u.id, u.email, u.name, u.status, u.email_verified, u.created_at,
       (SELECT max(f.first) FROM (
            SELECT min(r.issued_at) AS first FROM refresh_tokens r
            WHERE r.user_id = u.id GROUP BY r.family_id) AS f) AS last_login_at,
       cc.owned, cc.teaching, cc.enrolled
FROM users u
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE m.role = 'owner') AS owned,
           count(*) FILTER (WHERE m.role = 'assistant') AS teaching,
           count(*) FILTER (WHERE m.role = 'student') AS enrolled
    FROM course_members m JOIN courses c ON c.id = m.course_id AND c.deleted_at IS NULL
    WHERE m.user_id = u.id AND m.status <> 'removed') AS cc
"""


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


async def search(
    conn: asyncpg.Connection,
    *,
    q: str | None,
    status: str | None,
    registered_from: datetime | None,
    registered_before: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Newest sign-ups first, keyset-paged on (created_at, id)."""
    after_at, after_id = after if after else (None, None)
    return await conn.fetch(
        _ITEM + "WHERE u.status <> 'deleted' "
        "AND ($1::text IS NULL OR lower(u.name) LIKE $1 OR u.email LIKE $1) "
        "AND ($2::text IS NULL OR u.status = $2) "
        "AND ($3::timestamptz IS NULL OR u.created_at >= $3) "
        "AND ($4::timestamptz IS NULL OR u.created_at < $4) "
        "AND ($5::timestamptz IS NULL OR (u.created_at, u.id) < ($5, $6::uuid)) "
        "ORDER BY u.created_at DESC, u.id DESC LIMIT $7",
        _contains(q) if q else None,
        status,
        registered_from,
        registered_before,
        after_at,
        after_id,
        limit,
    )


async def item(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_ITEM + "WHERE u.id = $1 AND u.status <> 'deleted'", user_id)


async def courses_of(conn: asyncpg.Connection, user_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT c.id AS course_id, c.title, m.role, m.status FROM course_members m "
        "JOIN courses c ON c.id = m.course_id AND c.deleted_at IS NULL "
        "WHERE m.user_id = $1 ORDER BY m.joined_at DESC LIMIT 200",
        user_id,
    )


# --- blocks ---


async def block_of(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT reason, until, blocked_by, blocked_at FROM user_blocks WHERE user_id = $1", user_id
    )


async def put_block(
    conn: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    reason: str,
    until: datetime | None,
    by: uuid.UUID,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO user_blocks (user_id, reason, until, blocked_by, blocked_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        user_id,
        reason,
        until,
        by,
        now,
    )


async def drop_block(conn: asyncpg.Connection, user_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM user_blocks WHERE user_id = $1", user_id)


async def claim_expired_block(conn: asyncpg.Connection, now: datetime) -> uuid.UUID | None:
    """One block whose end has come, locked (SKIP LOCKED: processes scanning together share
    the work and never lift the same block twice)."""
    return await conn.fetchval(
        "SELECT user_id FROM user_blocks WHERE until IS NOT NULL AND until <= $1 "
        "ORDER BY until LIMIT 1 FOR UPDATE SKIP LOCKED",
        now,
    )


# --- permissions ---


async def permissions_of(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT can_create_courses, can_enroll, can_post_forum FROM user_permissions "
        "WHERE user_id = $1",
        user_id,
    )


async def permission(conn: asyncpg.Connection, user_id: uuid.UUID, name: str) -> bool:
    """Whether the user may (no row: everything is allowed). `name` comes from code."""
    allowed = await conn.fetchval(
        f"SELECT {name} FROM user_permissions WHERE user_id = $1",
        user_id,
    )
    return True if allowed is None else allowed


async def put_permissions(
    conn: asyncpg.Connection, user_id: uuid.UUID, values: dict[str, bool], now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO user_permissions (user_id, can_create_courses, can_enroll, can_post_forum, "
        "updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET "
        "can_create_courses = EXCLUDED.can_create_courses, can_enroll = EXCLUDED.can_enroll, "
        "can_post_forum = EXCLUDED.can_post_forum, updated_at = EXCLUDED.updated_at",
        user_id,
        values["can_create_courses"],
        values["can_enroll"],
        values["can_post_forum"],
        now,
    )
