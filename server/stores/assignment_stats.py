"""The rows statistics are computed from (published assignments, students, newest work), and
the per-assignment counts trends are bucketed from."""

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
        "SELECT m.user_id, u.name, m.status, m.joined_at FROM course_members m "
        "JOIN users u ON u.id = m.user_id "
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


async def assignment_tallies(
    conn: asyncpg.Connection, course_id: uuid.UUID, assignment_ids: list[uuid.UUID]
) -> list[asyncpg.Record]:
    """Per assignment, the newest submissions of the course's current students, counted in SQL
    (a course of 500 students sends 40 rows, not 20,000)."""
    return await conn.fetch(
        "SELECT s.assignment_id, count(*)::int AS submitted, "
        "count(*) FILTER (WHERE NOT s.late)::int AS on_time, "
        "count(*) FILTER (WHERE s.late)::int AS late, "
        "count(s.published_score)::int AS graded, "
        "coalesce(sum(s.published_score), 0)::float8 AS score_sum "
        "FROM submissions s JOIN course_members m "
        "ON m.course_id = s.course_id AND m.user_id = s.student_id "
        "WHERE s.assignment_id = ANY($2::uuid[]) AND s.latest AND s.course_id = $1 "
        "AND m.role = 'student' AND m.status <> 'removed' GROUP BY s.assignment_id",
        course_id,
        assignment_ids,
    )


async def student_count(conn: asyncpg.Connection, course_id: uuid.UUID) -> int:
    return await conn.fetchval(
        "SELECT count(*)::int FROM course_members WHERE course_id = $1 AND role = 'student' "
        "AND status <> 'removed'",
        course_id,
    )


# Each source lists (user_id, at) of what counts as a student's activity in course $1. The
# forum adds its posts here, e.g. "SELECT author_id, created_at FROM forum_posts WHERE
# course_id = $1", and every at-risk reader follows.
ACTIVITY_SOURCES = [
    "SELECT student_id AS user_id, submitted_at AS at FROM submissions WHERE course_id = $1",
    # Forum threads and answers (index forum_posts_course_author).
    "SELECT author_id AS user_id, created_at AS at FROM forum_posts WHERE course_id = $1",
]


async def last_activity(
    conn: asyncpg.Connection, course_id: uuid.UUID
) -> dict[uuid.UUID, datetime]:
    """Each member's latest activity in the course; members without any are absent."""
    union = " UNION ALL ".join(ACTIVITY_SOURCES)
    rows = await conn.fetch(
        f"SELECT user_id, max(at) AS at FROM ({union}) activity GROUP BY user_id", course_id
    )
    return {r["user_id"]: r["at"] for r in rows}
