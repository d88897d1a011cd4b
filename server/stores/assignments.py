"""Queries on `assignments`: rows, and the staff / student / "my activities" listings.

A student's `my_status` is computed in SQL (so it can be filtered and paged on) from their
newest submission: graded (grade published) > late > submitted; without one, missing once
due + grace has passed, pending before.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

COLUMNS = (
    "a.id, a.course_id, a.kind, a.title, a.description, a.instructions, a.due_at, "
    "a.grace_minutes, a.accept_late, a.penalty_percent_per_day::float8 AS penalty_percent_per_day, "
    "a.max_late_days, a.time_limit_minutes, a.max_attempts, a.questions::text AS questions, "
    "a.attachments, a.max_score::float8 AS max_score, a.created_by, a.published_at, "
    "a.created_at, a.updated_at, a.deleted_at"
)
FIELDS = (
    "kind",
    "title",
    "description",
    "instructions",
    "due_at",
    "grace_minutes",
    "accept_late",
    "penalty_percent_per_day",
    "max_late_days",
    "time_limit_minutes",
    "max_attempts",
    "questions",
    "attachments",
    "max_score",
)

MY_STATUS = (
    "CASE WHEN ls.grade_published_at IS NOT NULL THEN 'graded' "
    "WHEN ls.id IS NOT NULL AND ls.late THEN 'late' "
    "WHEN ls.id IS NOT NULL THEN 'submitted' "
    "WHEN $2::timestamptz > a.due_at + make_interval(mins => a.grace_minutes) THEN 'missing' "
    "ELSE 'pending' END"
)
# The caller's newest submission ($1 = student id).
LATEST_OF_ME = (
    "LEFT JOIN submissions ls ON ls.assignment_id = a.id AND ls.student_id = $1 AND ls.latest"
)


def _value(name: str, value: Any) -> Any:
    return json.dumps(value) if name == "questions" else value


async def insert(
    conn: asyncpg.Connection,
    *,
    assignment_id: uuid.UUID,
    course_id: uuid.UUID,
    created_by: uuid.UUID,
    fields: dict[str, Any],
    now: datetime,
) -> None:
    values = [_value(n, fields[n]) for n in FIELDS]
    params = ", ".join(f"${i}" for i in range(5, 5 + len(FIELDS)))
    await conn.execute(
        f"INSERT INTO assignments (id, course_id, created_by, created_at, updated_at, "
        f"{', '.join(FIELDS)}) VALUES ($1, $2, $3, $4, $4, {params})",
        assignment_id,
        course_id,
        created_by,
        now,
        *values,
    )


async def get(
    conn: asyncpg.Connection,
    assignment_id: uuid.UUID,
    *,
    lock: bool = False,
    member_id: uuid.UUID | None = None,
) -> asyncpg.Record | None:
    """A live assignment of a live course (deleted ones are gone for everyone); with
    `member_id`, also that user's membership (m_role, m_status, m_permissions) in one trip."""
    return await conn.fetchrow(
        f"SELECT {COLUMNS}, m.role AS m_role, m.status AS m_status, "
        "m.permissions::text AS m_permissions FROM assignments a "
        "JOIN courses c ON c.id = a.course_id "
        "LEFT JOIN course_members m ON m.course_id = a.course_id AND m.user_id = $2 "
        "WHERE a.id = $1 AND a.deleted_at IS NULL AND c.deleted_at IS NULL"
        + (" FOR UPDATE OF a" if lock else ""),
        assignment_id,
        member_id,
    )


async def update(
    conn: asyncpg.Connection, assignment_id: uuid.UUID, fields: dict[str, Any], now: datetime
) -> None:
    names = [n for n in FIELDS if n in fields]
    sets = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=3))
    await conn.execute(
        f"UPDATE assignments SET updated_at = $2{', ' + sets if sets else ''} WHERE id = $1",
        assignment_id,
        now,
        *(_value(n, fields[n]) for n in names),
    )


async def publish(conn: asyncpg.Connection, assignment_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(
        "UPDATE assignments SET published_at = $2, updated_at = $2 WHERE id = $1",
        assignment_id,
        now,
    )


async def soft_delete(conn: asyncpg.Connection, assignment_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(
        "UPDATE assignments SET deleted_at = $2, updated_at = $2 WHERE id = $1", assignment_id, now
    )


def _filters(
    where: list[str],
    args: list[Any],
    *,
    due_from: datetime | None,
    due_to: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
) -> None:
    if due_from is not None:
        args.append(due_from)
        where.append(f"a.due_at >= ${len(args)}")
    if due_to is not None:
        args.append(due_to)
        where.append(f"a.due_at <= ${len(args)}")
    if after is not None:
        args.extend(after)
        where.append(f"(a.due_at, a.id) > (${len(args) - 1}, ${len(args)})")


async def staff_page(
    conn: asyncpg.Connection,
    course_id: uuid.UUID,
    *,
    published: bool | None,
    due_from: datetime | None,
    due_to: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Every assignment of the course with the counts over each student's newest attempt."""
    args: list[Any] = [course_id, limit]
    where = ["a.course_id = $1", "a.deleted_at IS NULL"]
    if published is not None:
        where.append("a.published_at IS NOT NULL" if published else "a.published_at IS NULL")
    _filters(where, args, due_from=due_from, due_to=due_to, after=after)
    return await conn.fetch(
        f"SELECT {COLUMNS}, n.submitted, n.late, n.graded, n.needs_review FROM assignments a "
        "CROSS JOIN LATERAL (SELECT count(*) AS submitted, count(*) FILTER (WHERE s.late) AS late, "
        "count(*) FILTER (WHERE s.grade_published_at IS NOT NULL) AS graded, "
        "count(*) FILTER (WHERE s.needs_review AND s.graded_at IS NULL) AS needs_review "
        "FROM submissions s WHERE s.assignment_id = a.id AND s.latest) n "
        f"WHERE {' AND '.join(where)} ORDER BY a.due_at, a.id LIMIT $2",
        *args,
    )


async def counts(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> dict[str, int]:
    row = await conn.fetchrow(
        "SELECT count(*) AS submitted, count(*) FILTER (WHERE late) AS late, "
        "count(*) FILTER (WHERE grade_published_at IS NOT NULL) AS graded, "
        "count(*) FILTER (WHERE needs_review AND graded_at IS NULL) AS needs_review "
        "FROM submissions WHERE assignment_id = $1 AND latest",
        assignment_id,
    )
    return dict(row)


async def student_page(
    conn: asyncpg.Connection,
    student_id: uuid.UUID,
    *,
    now: datetime,
    course_id: uuid.UUID | None,
    status: str | None,
    due_from: datetime | None,
    due_to: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Published assignments of one course (or, without course_id, of every course the user
    studies in: "my activities"), each with the caller's `my_status`."""
    args: list[Any] = [student_id, now, limit]
    where = [
        "a.deleted_at IS NULL",
        "a.published_at IS NOT NULL",
        "c.deleted_at IS NULL",
        "m.role = 'student'",
        "m.status <> 'removed'",
    ]
    if course_id is not None:
        args.append(course_id)
        where.append(f"a.course_id = ${len(args)}")
    if status is not None:
        args.append(status)
        where.append(f"{MY_STATUS} = ${len(args)}")
    _filters(where, args, due_from=due_from, due_to=due_to, after=after)
    return await conn.fetch(
        f"SELECT {COLUMNS}, {MY_STATUS} AS my_status FROM assignments a "
        "JOIN courses c ON c.id = a.course_id "
        "JOIN course_members m ON m.course_id = a.course_id AND m.user_id = $1 "
        f"{LATEST_OF_ME} WHERE {' AND '.join(where)} ORDER BY a.due_at, a.id LIMIT $3",
        *args,
    )


async def my_status(
    conn: asyncpg.Connection, assignment_id: uuid.UUID, student_id: uuid.UUID, now: datetime
) -> str:
    return await conn.fetchval(
        f"SELECT {MY_STATUS} FROM assignments a {LATEST_OF_ME} WHERE a.id = $3",
        student_id,
        now,
        assignment_id,
    )


async def attempts_used(
    conn: asyncpg.Connection, assignment_id: uuid.UUID, student_id: uuid.UUID
) -> int:
    used = await conn.fetchval(
        "SELECT used FROM assignment_attempts_used WHERE assignment_id = $1 AND student_id = $2",
        assignment_id,
        student_id,
    )
    return used or 0


async def take_attempt(
    conn: asyncpg.Connection, assignment_id: uuid.UUID, student_id: uuid.UUID, max_attempts: int
) -> int | None:
    """The next attempt number, or None when max_attempts are used. One atomic upsert: the
    row lock orders concurrent callers, so numbers never repeat nor exceed the maximum."""
    return await conn.fetchval(
        "INSERT INTO assignment_attempts_used AS u (assignment_id, student_id, used) "
        "VALUES ($1, $2, 1) ON CONFLICT (assignment_id, student_id) DO UPDATE "
        "SET used = u.used + 1 WHERE u.used < $3 RETURNING used",
        assignment_id,
        student_id,
        max_attempts,
    )


async def has_submissions(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM submissions WHERE assignment_id = $1)", assignment_id
    )
