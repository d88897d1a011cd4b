"""Durable consumers' offsets on the outbox (`consumer_offsets`), and the rows past them.

A consumer's offset is a `relay_seq`: the relay stamps it in one total order under its lock, so
every row at or below the highest visible seq is visible too, and an offset never skips a row
that commits later (docs/event-spine.md §6).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import asyncpg

Start = Literal["beginning", "head"]


async def ensure(
    conn: asyncpg.Connection, name: str, *, start: Start, now: datetime, at: str | None = None
) -> None:
    """Create the consumer's offset the first time it runs: at consumer `at`'s offset when
    that one exists, else at 0 (it reads every event kept in the outbox) or at the current
    head (it reacts only to what happens from now on)."""
    await conn.execute(
        "INSERT INTO consumer_offsets (name, relay_seq, updated_at) "
        "SELECT $1, coalesce((SELECT relay_seq FROM consumer_offsets WHERE name = $4), "
        "CASE WHEN $2 THEN coalesce(max(relay_seq), 0) ELSE 0 END), $3 FROM outbox "
        "ON CONFLICT (name) DO NOTHING",
        name,
        start == "head",
        now,
        at,
    )


async def lock(conn: asyncpg.Connection, name: str) -> int | None:
    """The offset, locked for this transaction; None when another process holds it."""
    return await conn.fetchval(
        "SELECT relay_seq FROM consumer_offsets WHERE name = $1 FOR UPDATE SKIP LOCKED", name
    )


async def pending(
    conn: asyncpg.Connection, *, after: int, types: Sequence[str], limit: int
) -> tuple[list[asyncpg.Record], int]:
    """Up to `limit` relayed rows of `types` past `after`, in relay order, and the relayed head.

    One statement, so one snapshot: every seq up to the head is visible in it, and when fewer
    than `limit` rows come back the consumer may move its offset to the head, past the rows
    of types it ignores.
    """
    rows = await conn.fetch(
        "SELECT h.head, o.relay_seq, o.id, o.type, o.streams, o.data::text AS data, "
        "o.occurred_at, o.context::text AS context "
        "FROM (SELECT coalesce(max(relay_seq), 0) AS head FROM outbox) AS h "
        "LEFT JOIN LATERAL (SELECT * FROM outbox WHERE relay_seq > $1 AND relay_seq <= h.head "
        "AND type = ANY($2::text[]) ORDER BY relay_seq LIMIT $3) AS o ON true "
        "ORDER BY o.relay_seq",
        after,
        list(types),
        limit,
    )
    head = rows[0]["head"]
    return [r for r in rows if r["relay_seq"] is not None], head


async def advance(conn: asyncpg.Connection, name: str, relay_seq: int, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE consumer_offsets SET relay_seq = $2, updated_at = $3 WHERE name = $1",
        name,
        relay_seq,
        now,
    )


async def lags(conn: asyncpg.Connection) -> dict[str, int]:
    """Relayed rows each consumer has yet to pass (its own and others' types alike)."""
    rows = await conn.fetch(
        "SELECT name, greatest(0, (SELECT coalesce(max(relay_seq), 0) FROM outbox) - relay_seq) "
        "AS lag FROM consumer_offsets ORDER BY name"
    )
    return {r["name"]: r["lag"] for r in rows}
