"""Admin refresh tokens and the admin login guard (Postgres). Only token digests are stored."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def put_refresh(
    conn: asyncpg.Connection,
    *,
    family_id: uuid.UUID,
    admin_id: uuid.UUID,
    token_hash: bytes,
    token_version: int,
    now: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO admin_refresh_tokens (id, family_id, admin_id, token_hash, token_version, "
        "issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        uuid.uuid4(),
        family_id,
        admin_id,
        token_hash,
        token_version,
        now,
        expires_at,
    )


async def refresh_for_update(conn: asyncpg.Connection, token_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, family_id, admin_id, token_version, expires_at, used_at, revoked_at "
        "FROM admin_refresh_tokens WHERE token_hash = $1 FOR UPDATE",
        token_hash,
    )


async def mark_used(conn: asyncpg.Connection, token_id: uuid.UUID, now: datetime) -> None:
    await conn.execute("UPDATE admin_refresh_tokens SET used_at = $2 WHERE id = $1", token_id, now)


async def revoke_family(conn: asyncpg.Connection, family_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(
        "UPDATE admin_refresh_tokens SET revoked_at = $2 "
        "WHERE family_id = $1 AND revoked_at IS NULL",
        family_id,
        now,
    )


async def revoke_all(conn: asyncpg.Connection, admin_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(
        "UPDATE admin_refresh_tokens SET revoked_at = $2 "
        "WHERE admin_id = $1 AND revoked_at IS NULL",
        admin_id,
        now,
    )


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
