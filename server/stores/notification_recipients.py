"""Who a notification goes to, and the few facts its text needs (Postgres)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

_ACTIVE = "JOIN users u ON u.id = m.user_id AND u.status = 'active'"


async def _course_users(conn: asyncpg.Connection, course_id: str, which: str) -> list[uuid.UUID]:
    sql = f"SELECT m.user_id FROM course_members m {_ACTIVE} WHERE m.course_id = $1 AND {which}"
    return await _ids(conn, sql, course_id)


async def course_active_students(conn: asyncpg.Connection, course_id: str) -> list[uuid.UUID]:
    return await _course_users(conn, course_id, "m.role = 'student' AND m.status = 'active'")


async def course_staff(conn: asyncpg.Connection, course_id: str) -> list[uuid.UUID]:
    return await _course_users(conn, course_id, "m.role IN ('owner', 'assistant')")


async def course_members(conn: asyncpg.Connection, course_id: str) -> list[uuid.UUID]:
    """Everyone in the course but removed students (the course may already be deleted)."""
    return await _course_users(conn, course_id, "m.status <> 'removed'")


async def rule_audience(conn: asyncpg.Connection, applies_to: str) -> list[uuid.UUID]:
    """`all` active users; `students`: active students of a live course; `teachers`: owners
    and assistants of a live course (roles are per course)."""
    if applies_to == "all":
        return await _ids(conn, "SELECT id FROM users WHERE status = 'active'")
    roles = ["student"] if applies_to == "students" else ["owner", "assistant"]
    return await _ids(
        conn,
        f"SELECT DISTINCT m.user_id FROM course_members m {_ACTIVE} "
        "JOIN courses c ON c.id = m.course_id AND c.deleted_at IS NULL "
        "WHERE m.role = ANY($1::text[]) AND m.status = 'active'",
        roles,
    )


async def without_submission(
    conn: asyncpg.Connection, assignment_id: str, user_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Those who have handed nothing in (a reminder that fired before they submitted, but
    reaches the consumer after, is dropped for them)."""
    return await _ids(
        conn,
        "SELECT u FROM unnest($2::uuid[]) AS u WHERE NOT EXISTS "
        "(SELECT 1 FROM submissions s WHERE s.assignment_id = $1 AND s.student_id = u)",
        assignment_id,
        list(user_ids),
    )


async def contacts(
    conn: asyncpg.Connection, user_ids: Sequence[uuid.UUID], *, active_only: bool
) -> dict[uuid.UUID, str]:
    """Email addresses of the users who can still be told (not deleted; active when asked)."""
    statuses = ["active"] if active_only else ["active", "blocked"]
    rows = await conn.fetch(
        "SELECT id, email FROM users WHERE id = ANY($1::uuid[]) AND status = ANY($2::text[])",
        list(user_ids),
        statuses,
    )
    return {r["id"]: r["email"] for r in rows}


async def facts(
    conn: asyncpg.Connection,
    *,
    course_id: str | None,
    assignment_id: str | None,
    user_id: str | None,
) -> dict[str, str | None]:
    """A course's title, an assignment's title and a user's name, whichever are asked for
    (deleted ones too: a deleted course is still named in its notice)."""
    row = await conn.fetchrow(
        "SELECT (SELECT title FROM courses WHERE id = $1) AS course, "
        "(SELECT title FROM assignments WHERE id = $2) AS assignment, "
        "(SELECT name FROM users WHERE id = $3) AS user_name",
        course_id,
        assignment_id,
        user_id,
    )
    return dict(row)


async def _ids(conn: asyncpg.Connection, sql: str, *args: object) -> list[uuid.UUID]:
    return [r[0] for r in await conn.fetch(sql, *args)]
