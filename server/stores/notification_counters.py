"""Unread counts per user (`notification_unread`), and the row lock that orders each user's
inbox changes (see migration 0081).

Whoever changes a user's inbox takes the user's row first and keeps it to its commit, so the
`notification.unread_count` events are recorded in the order the counts were taken.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

import asyncpg


async def lock(conn: asyncpg.Connection, user_id: uuid.UUID) -> None:
    """Take the user's row (creating it) until the transaction ends."""
    await conn.execute(
        "INSERT INTO notification_unread (user_id, unread) VALUES ($1, 0) "
        "ON CONFLICT (user_id) DO UPDATE SET unread = notification_unread.unread",
        user_id,
    )


async def add(
    conn: asyncpg.Connection, user_ids: Iterable[uuid.UUID], by: int = 1
) -> dict[str, int]:
    """`by` more unread items for each user, locking their rows (in id order, so two writers
    never wait on each other in a cycle); returns the new counts."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = await conn.fetch(
        "INSERT INTO notification_unread (user_id, unread) "
        "SELECT u, greatest($2, 0) FROM unnest($1::uuid[]) AS u ORDER BY u "
        "ON CONFLICT (user_id) DO UPDATE SET unread = notification_unread.unread + $2 "
        "RETURNING user_id, unread",
        ids,
        by,
    )
    return {str(r["user_id"]): r["unread"] for r in rows}


async def set_counts(conn: asyncpg.Connection, counts: Mapping[str, int]) -> None:
    """Set counts taken from the inbox itself (the rows are already locked by the caller)."""
    await conn.execute(
        "UPDATE notification_unread n SET unread = c.unread "
        "FROM unnest($1::uuid[], $2::int[]) AS c(user_id, unread) WHERE n.user_id = c.user_id",
        list(counts),
        list(counts.values()),
    )
