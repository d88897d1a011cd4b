"""Email PINs, password-reset tokens and refresh-token families. Only digests are stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

# --- email PINs (one live PIN per user; a new one replaces the old) ---


async def put_pin(
    conn: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    email: str,
    pin_hash: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO email_pins (user_id, email, pin_hash, attempts, sent_at, expires_at) "
        "VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (user_id) DO UPDATE SET "
        "email = EXCLUDED.email, pin_hash = EXCLUDED.pin_hash, attempts = 0, "
        "sent_at = EXCLUDED.sent_at, expires_at = EXCLUDED.expires_at",
        user_id,
        email,
        pin_hash,
        now,
        expires_at,
    )


async def pin_for(
    conn: asyncpg.Connection, user_id: uuid.UUID, email: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT pin_hash, attempts, sent_at, expires_at FROM email_pins "
        "WHERE user_id = $1 AND email = $2 FOR UPDATE",
        user_id,
        email,
    )


async def count_pin_failure(conn: asyncpg.Connection, user_id: uuid.UUID) -> int:
    return await conn.fetchval(
        "UPDATE email_pins SET attempts = attempts + 1 WHERE user_id = $1 RETURNING attempts",
        user_id,
    )


async def delete_pin(conn: asyncpg.Connection, user_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM email_pins WHERE user_id = $1", user_id)


# --- password resets ---


async def put_reset(
    conn: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    token_hash: bytes,
    now: datetime,
    expires_at: datetime,
) -> None:
    # Only the newest link works: asking again retires the earlier ones.
    await conn.execute(
        "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        user_id,
        now,
    )
    await conn.execute(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4)",
        token_hash,
        user_id,
        now,
        expires_at,
    )


async def take_reset(conn: asyncpg.Connection, token_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1 FOR UPDATE",
        token_hash,
    )


async def mark_reset_used(conn: asyncpg.Connection, token_hash: bytes, now: datetime) -> None:
    await conn.execute(
        "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1", token_hash, now
    )


# --- refresh tokens ---


@dataclass(frozen=True)
class RefreshTable:
    """Where a realm keeps its refresh-token families (the same columns, the owner's named)."""

    name: str
    owner: str  # the column naming whose token it is


USERS = RefreshTable("refresh_tokens", "user_id")
ADMINS = RefreshTable("admin_refresh_tokens", "admin_id")


async def put_refresh(
    conn: asyncpg.Connection,
    *,
    family_id: uuid.UUID,
    user_id: uuid.UUID,
    token_hash: bytes,
    token_version: int,
    now: datetime,
    expires_at: datetime,
    table: RefreshTable = USERS,
) -> None:
    """`user_id` is the owner: a user, or an admin in `ADMINS`."""
    await conn.execute(
        f"INSERT INTO {table.name} (id, family_id, {table.owner}, token_hash, token_version, "
        "issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        uuid.uuid4(),
        family_id,
        user_id,
        token_hash,
        token_version,
        now,
        expires_at,
    )


async def refresh_for_update(
    conn: asyncpg.Connection, token_hash: bytes, *, table: RefreshTable = USERS
) -> asyncpg.Record | None:
    """The presented token, locked so two concurrent refreshes with it cannot both rotate."""
    return await conn.fetchrow(
        f"SELECT id, family_id, {table.owner}, token_version, expires_at, used_at, revoked_at "
        f"FROM {table.name} WHERE token_hash = $1 FOR UPDATE",
        token_hash,
    )


async def mark_refresh_used(
    conn: asyncpg.Connection, token_id: uuid.UUID, now: datetime, *, table: RefreshTable = USERS
) -> None:
    await conn.execute(f"UPDATE {table.name} SET used_at = $2 WHERE id = $1", token_id, now)


async def revoke_family(
    conn: asyncpg.Connection, family_id: uuid.UUID, now: datetime, *, table: RefreshTable = USERS
) -> int:
    status = await conn.execute(
        f"UPDATE {table.name} SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        family_id,
        now,
    )
    return int(status.split()[-1])


async def revoke_all_for_user(
    conn: asyncpg.Connection, user_id: uuid.UUID, now: datetime, *, table: RefreshTable = USERS
) -> int:
    status = await conn.execute(
        f"UPDATE {table.name} SET revoked_at = $2 WHERE {table.owner} = $1 AND revoked_at IS NULL",
        user_id,
        now,
    )
    return int(status.split()[-1])
