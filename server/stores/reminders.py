"""The deadline-reminder schedule: rows in Postgres, so it survives restarts and due-date
changes, claimed with FOR UPDATE SKIP LOCKED so each reminder fires once across processes."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def schedule(
    conn: asyncpg.Connection, assignment_id: uuid.UUID, fire_times: dict[str, datetime]
) -> None:
    """Replace the schedule: each kind fires (again) at its new time; kinds left out go."""
    await conn.execute(
        "DELETE FROM deadline_reminders WHERE assignment_id = $1 AND NOT kind = ANY($2::text[])",
        assignment_id,
        list(fire_times),
    )
    await conn.executemany(
        "INSERT INTO deadline_reminders (assignment_id, kind, fire_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (assignment_id, kind) DO UPDATE SET fire_at = EXCLUDED.fire_at, "
        "sent_at = NULL WHERE deadline_reminders.fire_at <> EXCLUDED.fire_at",
        [(assignment_id, kind, at) for kind, at in fire_times.items()],
    )


async def cancel(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM deadline_reminders WHERE assignment_id = $1", assignment_id)


async def claim_due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Reminders whose time has come, locked for this transaction; rows another process is
    sending are skipped, not waited for."""
    return await conn.fetch(
        "SELECT r.assignment_id, r.kind, a.course_id, a.title, a.due_at, a.grace_minutes "
        "FROM deadline_reminders r JOIN assignments a ON a.id = r.assignment_id "
        "WHERE r.sent_at IS NULL AND r.fire_at <= $1 AND a.deleted_at IS NULL "
        "AND a.published_at IS NOT NULL ORDER BY r.fire_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
        now,
        limit,
    )


async def students_without_submission(
    conn: asyncpg.Connection, course_id: uuid.UUID, assignment_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT m.user_id FROM course_members m WHERE m.course_id = $1 AND m.role = 'student' "
        "AND m.status = 'active' AND NOT EXISTS (SELECT 1 FROM submissions s "
        "WHERE s.assignment_id = $2 AND s.student_id = m.user_id) ORDER BY m.user_id",
        course_id,
        assignment_id,
    )
    return [r["user_id"] for r in rows]


async def mark_sent(
    conn: asyncpg.Connection, keys: list[tuple[uuid.UUID, str]], now: datetime
) -> None:
    await conn.executemany(
        "UPDATE deadline_reminders SET sent_at = $3 WHERE assignment_id = $1 AND kind = $2",
        [(a, k, now) for a, k in keys],
    )
