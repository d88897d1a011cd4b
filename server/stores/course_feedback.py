"""Queries on `course_feedback` (students about a course) and `student_feedback` (staff
about a student)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg


def _day_bounds(column: str, args: list[Any], since: date | None, until: date | None) -> list[str]:
    where = []
    if since is not None:
        args.append(datetime.combine(since, time(), UTC))
        where.append(f"{column} >= ${len(args)}")
    if until is not None:
        args.append(datetime.combine(until + timedelta(days=1), time(), UTC))
        where.append(f"{column} < ${len(args)}")
    return where


async def upsert_course_feedback(
    conn: asyncpg.Connection,
    *,
    course_id: uuid.UUID,
    student_id: uuid.UUID,
    rating: int,
    comment: str,
    now: datetime,
) -> bool:
    """True when this created the student's feedback, False when it edited it."""
    return await conn.fetchval(
        "INSERT INTO course_feedback (course_id, student_id, rating, comment, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (course_id, student_id) "
        "DO UPDATE SET rating = EXCLUDED.rating, comment = EXCLUDED.comment, "
        "updated_at = EXCLUDED.updated_at RETURNING (xmax = 0)",
        course_id,
        student_id,
        rating,
        comment,
        now,
    )


_FEEDBACK_COLUMNS = (
    "f.course_id, f.student_id, u.name AS student_name, f.rating, f.comment, f.created_at, "
    "f.updated_at"
)


async def one_course_feedback(
    conn: asyncpg.Connection, course_id: uuid.UUID, student_id: uuid.UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_FEEDBACK_COLUMNS} FROM course_feedback f JOIN users u ON u.id = f.student_id "
        "WHERE f.course_id = $1 AND f.student_id = $2",
        course_id,
        student_id,
    )


async def course_feedback(
    conn: asyncpg.Connection,
    course_id: uuid.UUID,
    *,
    rating: int | None,
    since: date | None,
    until: date | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[list[asyncpg.Record], dict[int, int]]:
    """A page (newest first) and the per-rating counts of everything matching the filters."""
    args: list[Any] = [course_id]
    where = ["f.course_id = $1", *_day_bounds("f.updated_at", args, since, until)]
    if rating is not None:
        args.append(rating)
        where.append(f"f.rating = ${len(args)}")
    counts = await conn.fetch(
        f"SELECT rating, count(*) AS n FROM course_feedback f WHERE {' AND '.join(where)} "
        "GROUP BY rating",
        *args,
    )
    if after is not None:
        args.extend(after)
        where.append(f"(f.updated_at, f.student_id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    rows = await conn.fetch(
        f"SELECT {_FEEDBACK_COLUMNS} FROM course_feedback f JOIN users u ON u.id = f.student_id "
        f"WHERE {' AND '.join(where)} ORDER BY f.updated_at DESC, f.student_id DESC "
        f"LIMIT ${len(args)}",
        *args,
    )
    return rows, {r["rating"]: r["n"] for r in counts}


async def insert_student_feedback(
    conn: asyncpg.Connection,
    *,
    feedback_id: uuid.UUID,
    course_id: uuid.UUID,
    student_id: uuid.UUID,
    author_id: uuid.UUID,
    rating: int,
    comment: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO student_feedback (id, course_id, student_id, author_id, rating, comment, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        feedback_id,
        course_id,
        student_id,
        author_id,
        rating,
        comment,
        now,
    )


async def received_feedback(
    conn: asyncpg.Connection,
    student_id: uuid.UUID,
    *,
    course_id: uuid.UUID | None = None,
    feedback_id: uuid.UUID | None = None,
    rating: int | None = None,
    since: date | None = None,
    until: date | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 1,
) -> list[asyncpg.Record]:
    args: list[Any] = [student_id]
    where = ["s.student_id = $1", *_day_bounds("s.created_at", args, since, until)]
    for column, value in (("s.course_id", course_id), ("s.id", feedback_id), ("s.rating", rating)):
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    if after is not None:
        args.extend(after)
        where.append(f"(s.created_at, s.id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    return await conn.fetch(
        "SELECT s.id, s.course_id, c.title AS course_title, s.student_id, s.author_id, "
        "u.name AS author_name, s.rating, s.comment, s.created_at FROM student_feedback s "
        "JOIN courses c ON c.id = s.course_id JOIN users u ON u.id = s.author_id "
        f"WHERE {' AND '.join(where)} ORDER BY s.created_at DESC, s.id DESC LIMIT ${len(args)}",
        *args,
    )


async def course_comments(conn: asyncpg.Connection, course_id: uuid.UUID) -> list[asyncpg.Record]:
    """Every rating of the course, oldest first (what a summary reads)."""
    return await conn.fetch(
        "SELECT rating, comment, updated_at AS created_at FROM course_feedback "
        "WHERE course_id = $1 ORDER BY updated_at, student_id",
        course_id,
    )


async def received_comments(
    conn: asyncpg.Connection, student_id: uuid.UUID, course_id: uuid.UUID | None = None
) -> list[asyncpg.Record]:
    """Every rating staff gave the student (in one course, or all), oldest first."""
    return await conn.fetch(
        "SELECT rating, comment, created_at FROM student_feedback WHERE student_id = $1 "
        "AND ($2::uuid IS NULL OR course_id = $2) ORDER BY created_at, id",
        student_id,
        course_id,
    )
