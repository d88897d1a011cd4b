"""Push-notification device tokens. `last_seen` moves whenever the app registers its token
(it does so at every start); tokens unseen for long are dropped (`drop_unseen_since`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import asyncpg


async def upsert(
    conn: asyncpg.Connection, *, user_id: uuid.UUID, token: str, platform: str, now: datetime
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO devices (token, user_id, platform, created_at, updated_at, last_seen) "
        "VALUES ($1, $2, $3, $4, $4, $4) ON CONFLICT (token) DO UPDATE SET "
        "user_id = EXCLUDED.user_id, platform = EXCLUDED.platform, "
        "updated_at = EXCLUDED.updated_at, last_seen = EXCLUDED.last_seen "
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


async def tokens_of(
    conn: asyncpg.Connection, user_ids: Iterable[uuid.UUID], *, seen_since: datetime
) -> dict[uuid.UUID, list[str]]:
    """Each user's tokens seen since `seen_since` (one query for many users)."""
    rows = await conn.fetch(
        "SELECT user_id, token FROM devices WHERE user_id = ANY($1::uuid[]) "
        "AND last_seen >= $2 ORDER BY created_at, token",
        list(user_ids),
        seen_since,
    )
    tokens: dict[uuid.UUID, list[str]] = {}
    for r in rows:
        tokens.setdefault(r["user_id"], []).append(r["token"])
    return tokens


async def forget(conn: asyncpg.Connection, tokens: Iterable[str]) -> int:
    """Delete tokens FCM says are dead, whoever they belong to."""
    status = await conn.execute("DELETE FROM devices WHERE token = ANY($1::text[])", list(tokens))
    return int(status.split()[-1])


async def drop_unseen_since(conn: asyncpg.Connection, before: datetime) -> int:
    status = await conn.execute("DELETE FROM devices WHERE last_seen < $1", before)
    return int(status.split()[-1])
