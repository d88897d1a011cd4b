"""Which courses still owe this week's at-risk digest, and the claim that makes it once."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import asyncpg

ENDED_GRACE = timedelta(days=7)  # the week after a course ends still gets its last digest


async def courses_due(
    conn: asyncpg.Connection, week: date, today: date, after: uuid.UUID | None, limit: int
) -> list[asyncpg.Record]:
    """Running courses with active students and no digest for `week`, in id order after
    `after` (keyset: a course that fails is not retried in the same scan)."""
    return await conn.fetch(
        "SELECT c.id FROM courses c WHERE c.deleted_at IS NULL AND c.starts_on <= $2 "
        "AND c.ends_on >= $3 AND ($4::uuid IS NULL OR c.id > $4) "
        "AND NOT EXISTS (SELECT 1 FROM at_risk_digests d WHERE d.course_id = c.id "
        "AND d.week = $1) AND EXISTS (SELECT 1 FROM course_members m WHERE m.course_id = c.id "
        "AND m.role = 'student' AND m.status = 'active') ORDER BY c.id LIMIT $5",
        week,
        today,
        today - ENDED_GRACE,
        after,
        limit,
    )


async def claim(conn: asyncpg.Connection, course_id: uuid.UUID, week: date, now: datetime) -> bool:
    """True when this transaction owns the week's digest; a concurrent claimer waits for it to
    end, then gets False (or True, if it rolled back)."""
    return (
        await conn.fetchval(
            "INSERT INTO at_risk_digests (course_id, week, at_risk, created_at) "
            "VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING RETURNING true",
            course_id,
            week,
            now,
        )
        is not None
    )


async def record_count(
    conn: asyncpg.Connection, course_id: uuid.UUID, week: date, at_risk: int
) -> None:
    await conn.execute(
        "UPDATE at_risk_digests SET at_risk = $3 WHERE course_id = $1 AND week = $2",
        course_id,
        week,
        at_risk,
    )
