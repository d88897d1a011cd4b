"""The rows statistics are computed from (published assignments, students, newest work)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def published_assignments(
    conn: asyncpg.Connection,
    course_ids: list[uuid.UUID],
    *,
    due_from: datetime | None = None,
    due_to: datetime | None = None,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, course_id, title, due_at, grace_minutes, max_score::float8 AS max_score "
        "FROM assignments WHERE course_id = ANY($1::uuid[]) AND published_at IS NOT NULL "
        "AND deleted_at IS NULL AND ($2::timestamptz IS NULL OR due_at >= $2) "
        "AND ($3::timestamptz IS NULL OR due_at <= $3) ORDER BY due_at, id",
        course_ids,
        due_from,
        due_to,
    )


async def course_students(conn: asyncpg.Connection, course_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT m.user_id, u.name FROM course_members m JOIN users u ON u.id = m.user_id "
        "WHERE m.course_id = $1 AND m.role = 'student' AND m.status <> 'removed' "
        "ORDER BY u.name, m.user_id",
        course_id,
    )


async def latest_work(
    conn: asyncpg.Connection, assignment_ids: list[uuid.UUID], student_id: uuid.UUID | None = None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT assignment_id, student_id, late, published_score::float8 AS published_score "
        "FROM submissions WHERE assignment_id = ANY($1::uuid[]) AND latest "
        "AND ($2::uuid IS NULL OR student_id = $2)",
        assignment_ids,
        student_id,
    )


async def learning_courses(conn: asyncpg.Connection, user_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT c.id, c.title FROM course_members m JOIN courses c ON c.id = m.course_id "
        "WHERE m.user_id = $1 AND m.role = 'student' AND m.status <> 'removed' "
        "AND c.deleted_at IS NULL ORDER BY c.starts_on, c.id",
        user_id,
    )
