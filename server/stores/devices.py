"""Push-notification device tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def upsert(
    conn: asyncpg.Connection, *, user_id: uuid.UUID, token: str, platform: str, now: datetime
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO devices (token, user_id, platform, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $4) ON CONFLICT (token) DO UPDATE SET "
        "user_id = EXCLUDED.user_id, platform = EXCLUDED.platform, "
        "updated_at = EXCLUDED.updated_at "
        "RETURNING token, platform, created_at",
        token,
        user_id,
        platform,
        now,
    )


async def delete(conn: asyncpg.Connection, *, user_id: uuid.UUID, token: str) -> bool:
    status = await conn.execute(
        "DELETE FROM devices WHERE token = $1 AND user_id = $2", token, user_id
    )
    return status == "DELETE 1"


async def for_user(conn: asyncpg.Connection, user_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT token, platform, created_at FROM devices WHERE user_id = $1 ORDER BY created_at",
        user_id,
    )
