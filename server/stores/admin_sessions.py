"""The admin login guard (Postgres). Admin refresh tokens are stored like users' (in
`admin_refresh_tokens`, through server/stores/credentials.py with `table=ADMINS`)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def locked_until(
    conn: asyncpg.Connection, admin_id: uuid.UUID, now: datetime
) -> datetime | None:
    return await conn.fetchval(
        "SELECT locked_until FROM admin_login_guard WHERE admin_id = $1 AND locked_until > $2",
        admin_id,
        now,
    )


async def count_failure(
    conn: asyncpg.Connection, admin_id: uuid.UUID, *, now: datetime, window_start: datetime
) -> int:
    """One more failure in the window (a window older than `window_start` starts over)."""
    return await conn.fetchval(
        "INSERT INTO admin_login_guard (admin_id, failures, window_start) VALUES ($1, 1, $2) "
        "ON CONFLICT (admin_id) DO UPDATE SET "
        "failures = CASE WHEN admin_login_guard.window_start > $3 "
        "THEN admin_login_guard.failures + 1 ELSE 1 END, "
        "window_start = CASE WHEN admin_login_guard.window_start > $3 "
        "THEN admin_login_guard.window_start ELSE EXCLUDED.window_start END "
        "RETURNING failures",
        admin_id,
        now,
        window_start,
    )


async def lock(conn: asyncpg.Connection, admin_id: uuid.UUID, until: datetime) -> None:
    await conn.execute(
        "UPDATE admin_login_guard SET locked_until = $2, failures = 0 WHERE admin_id = $1",
        admin_id,
        until,
    )


async def clear(conn: asyncpg.Connection, admin_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM admin_login_guard WHERE admin_id = $1", admin_id)
