"""Login failures, account locks and rate-limit counters, shared by every server process."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def locked_until(
    conn: asyncpg.Connection, user_id: uuid.UUID, now: datetime
) -> datetime | None:
    return await conn.fetchval(
        "SELECT locked_until FROM account_locks WHERE user_id = $1 AND locked_until > $2",
        user_id,
        now,
    )


async def record_failure(
    conn: asyncpg.Connection, user_id: uuid.UUID, *, now: datetime, window_start: datetime
) -> int:
    """Add a failure and return how many fall inside the window (older ones are dropped)."""
    await conn.execute(
        "DELETE FROM login_failures WHERE user_id = $1 AND at <= $2", user_id, window_start
    )
    await conn.execute("INSERT INTO login_failures (user_id, at) VALUES ($1, $2)", user_id, now)
    return await conn.fetchval("SELECT count(*) FROM login_failures WHERE user_id = $1", user_id)


async def lock(conn: asyncpg.Connection, user_id: uuid.UUID, until: datetime) -> None:
    await conn.execute(
        "INSERT INTO account_locks (user_id, locked_until) VALUES ($1, $2) "
        "ON CONFLICT (user_id) DO UPDATE SET locked_until = EXCLUDED.locked_until",
        user_id,
        until,
    )
    await conn.execute("DELETE FROM login_failures WHERE user_id = $1", user_id)


async def clear(conn: asyncpg.Connection, user_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM login_failures WHERE user_id = $1", user_id)
    await conn.execute("DELETE FROM account_locks WHERE user_id = $1", user_id)


async def hit(conn: asyncpg.Connection, *, bucket: str, key: str, window_start: datetime) -> int:
    """Count one request in the current fixed window; returns the count including this one.

    One upsert, so concurrent requests in several processes never lose a count.
    """
    return await conn.fetchval(
        "INSERT INTO rate_limits (bucket, key, window_start, count) VALUES ($1, $2, $3, 1) "
        "ON CONFLICT (bucket, key) DO UPDATE SET "
        "count = CASE WHEN rate_limits.window_start = EXCLUDED.window_start "
        "THEN rate_limits.count + 1 ELSE 1 END, "
        "window_start = EXCLUDED.window_start RETURNING count",
        bucket,
        key,
        window_start,
    )
