"""Queries on `users`. Stores take a connection; the calling use case owns the transaction."""

from __future__ import annotations

import uuid

import asyncpg


async def token_state(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    """What decides whether an access token still counts: status and token version."""
    return await conn.fetchrow("SELECT status, token_version FROM users WHERE id = $1", user_id)
