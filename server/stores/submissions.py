"""Queries on submissions, their Idempotency-Key claims, grades and exam attempts."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

COLUMNS = (
    "s.id, s.assignment_id, s.course_id, s.student_id, u.name AS student_name, s.attempt, "
    "s.latest, s.answers::text AS answers, s.submitted_at, s.late, s.seconds_late, "
    "s.penalty_percent::float8 AS penalty_percent, s.auto_score::float8 AS auto_score, "
    "s.needs_review, s.question_results::text AS question_results, s.score::float8 AS score, "
    "s.feedback, s.question_scores::text AS question_scores, s.graded_by, s.graded_at, "
    "s.published_score::float8 AS published_score, s.published_feedback, "
    "s.published_question_scores::text AS published_question_scores, s.grade_published_at"
)
FROM = "FROM submissions s JOIN users u ON u.id = s.student_id"


async def claim_key(
    conn: asyncpg.Connection,
    *,
    assignment_id: uuid.UUID,
    student_id: uuid.UUID,
    key: str,
    request_hash: str,
    now: datetime,
) -> bool:
    """True when this request owns the key. A concurrent request with the same key waits on
    the unique index until the owner commits (then gets False) or rolls back (then owns it)."""
    claimed = await conn.fetchval(
        "INSERT INTO submission_requests (assignment_id, student_id, key, request_hash, "
        "created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
        assignment_id,
        student_id,
        key,
        request_hash,
        now,
    )
    return bool(claimed)


async def claimed_request(
    conn: asyncpg.Connection, *, assignment_id: uuid.UUID, student_id: uuid.UUID, key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT request_hash, response FROM submission_requests "
        "WHERE assignment_id = $1 AND student_id = $2 AND key = $3",
        assignment_id,
        student_id,
        key,
    )


async def store_response(
    conn: asyncpg.Connection,
    *,
    assignment_id: uuid.UUID,
    student_id: uuid.UUID,
    key: str,
    response: str,
) -> None:
    await conn.execute(
        "UPDATE submission_requests SET response = $4 "
        "WHERE assignment_id = $1 AND student_id = $2 AND key = $3",
        assignment_id,
        student_id,
        key,
        response,
    )


async def insert(conn: asyncpg.Connection, **row: Any) -> None:
    """A new attempt becomes the student's newest; the previous ones stay as history. One
    statement (a data-modifying CTE): this is the hot path when an exam closes."""
    await conn.execute(
        "WITH previous AS (UPDATE submissions SET latest = false WHERE assignment_id = $2 "
        "AND student_id = $4 AND latest) "
        "INSERT INTO submissions (id, assignment_id, course_id, student_id, attempt, latest, "
        "answers, submitted_at, late, seconds_late, penalty_percent, auto_score, needs_review, "
        "question_results, score, question_scores, graded_at) VALUES ($1, $2, $3, $4, $5, true, "
        "$6::jsonb, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15::jsonb, $16)",
        row["id"],
        row["assignment_id"],
        row["course_id"],
        row["student_id"],
        row["attempt"],
        row["answers"],
        row["submitted_at"],
        row["late"],
        row["seconds_late"],
        row["penalty_percent"],
        row["auto_score"],
        row["needs_review"],
        json.dumps(row["question_results"]),
        row["score"],
        json.dumps(row["question_scores"]) if row["question_scores"] is not None else None,
        row["graded_at"],
    )


async def get(
    conn: asyncpg.Connection, submission_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} {FROM} WHERE s.id = $1" + (" FOR UPDATE OF s" if lock else ""),
        submission_id,
    )


async def history(
    conn: asyncpg.Connection, assignment_id: uuid.UUID, student_id: uuid.UUID
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {COLUMNS} {FROM} WHERE s.assignment_id = $1 AND s.student_id = $2 "
        "ORDER BY s.attempt",
        assignment_id,
        student_id,
    )


async def staff_page(
    conn: asyncpg.Connection,
    assignment_id: uuid.UUID,
    *,
    late: bool | None,
    needs_review: bool | None,
    grade_state: str | None,
    all_attempts: bool,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    args: list[Any] = [assignment_id, limit]
    where = ["s.assignment_id = $1"]
    if not all_attempts:
        where.append("s.latest")
    if late is not None:
        args.append(late)
        where.append(f"s.late = ${len(args)}")
    if needs_review is not None:
        args.append(needs_review)
        where.append(f"(s.needs_review AND s.graded_at IS NULL) = ${len(args)}")
    if grade_state == "none":
        where.append("s.graded_at IS NULL")
    elif grade_state == "draft":
        where.append("s.graded_at IS NOT NULL AND s.grade_published_at IS NULL")
    elif grade_state == "published":
        where.append("s.grade_published_at IS NOT NULL")
    if after is not None:
        args.extend(after)
        where.append(f"(s.submitted_at, s.id) > (${len(args) - 1}, ${len(args)})")
    return await conn.fetch(
        f"SELECT {COLUMNS} {FROM} WHERE {' AND '.join(where)} "
        "ORDER BY s.submitted_at, s.id LIMIT $2",
        *args,
    )


async def save_draft_grade(
    conn: asyncpg.Connection,
    submission_id: uuid.UUID,
    *,
    score: float,
    feedback: str,
    question_scores: dict[str, float],
    graded_by: uuid.UUID,
    now: datetime,
) -> None:
    await conn.execute(
        "UPDATE submissions SET score = $2, feedback = $3, question_scores = $4::jsonb, "
        "graded_by = $5, graded_at = $6 WHERE id = $1",
        submission_id,
        score,
        feedback,
        json.dumps(question_scores),
        graded_by,
        now,
    )


async def publish_grades(
    conn: asyncpg.Connection,
    *,
    assignment_id: uuid.UUID,
    submission_id: uuid.UUID | None,
    now: datetime,
) -> list[asyncpg.Record]:
    """Copy draft grades to what students see: one submission, or every newest submission of
    the assignment whose draft differs from what was published. Returns the published rows."""
    return await conn.fetch(
        "UPDATE submissions SET published_score = score, published_feedback = feedback, "
        "published_question_scores = question_scores, grade_published_at = $3 "
        "WHERE assignment_id = $1 AND graded_at IS NOT NULL "
        "AND ($2::uuid IS NULL AND latest OR id = $2) "
        "AND (grade_published_at IS NULL OR graded_at > grade_published_at) "
        "RETURNING id, student_id, published_score::float8 AS score, published_feedback "
        "AS feedback, published_question_scores::text AS question_scores",
        assignment_id,
        submission_id,
        now,
    )


async def ungraded_latest(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM submissions WHERE assignment_id = $1 AND latest "
        "AND graded_at IS NULL",
        assignment_id,
    )


async def insert_attempt(conn: asyncpg.Connection, **row: Any) -> None:
    await conn.execute(
        "INSERT INTO exam_attempts (id, assignment_id, student_id, attempt, started_at, deadline) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        row["id"],
        row["assignment_id"],
        row["student_id"],
        row["attempt"],
        row["started_at"],
        row["deadline"],
    )


async def open_attempt(
    conn: asyncpg.Connection, assignment_id: uuid.UUID, student_id: uuid.UUID, *, lock: bool
) -> asyncpg.Record | None:
    """The student's newest exam attempt not yet handed in."""
    return await conn.fetchrow(
        "SELECT id, assignment_id, attempt, started_at, deadline, submitted_at IS NOT NULL "
        "AS submitted FROM exam_attempts WHERE assignment_id = $1 AND student_id = $2 "
        "AND submitted_at IS NULL ORDER BY attempt DESC LIMIT 1" + (" FOR UPDATE" if lock else ""),
        assignment_id,
        student_id,
    )


async def close_open_attempt(
    conn: asyncpg.Connection, assignment_id: uuid.UUID, student_id: uuid.UUID, now: datetime
) -> asyncpg.Record | None:
    """Mark the running attempt handed in and return it (attempt, deadline); the caller
    checks the deadline and rolls back when it has passed. Of two concurrent hand-ins of one
    attempt, the second finds it closed (None)."""
    return await conn.fetchrow(
        "UPDATE exam_attempts SET submitted_at = $3 WHERE id = (SELECT id FROM exam_attempts "
        "WHERE assignment_id = $1 AND student_id = $2 AND submitted_at IS NULL "
        "ORDER BY attempt DESC LIMIT 1 FOR UPDATE) RETURNING id, attempt, deadline",
        assignment_id,
        student_id,
        now,
    )
