"""The relay's side of the outbox: claim unrelayed rows in recording order and mark them.

Only one relay at a time holds `RELAY_LOCK` (a transaction-scoped advisory lock), so per-stream
`seq` values are allocated, appended and published in one total order across processes; the
others skip the round and are woken again by NOTIFY or their poll. A crash rolls the claim back,
and the idempotent event-log append makes the retry harmless.
"""

from __future__ import annotations

import asyncpg

# Arbitrary constant shared by every ClassConnect process ("cc relay" in ASCII).
RELAY_LOCK = 0x6363_7265_6C61_79
NOTIFY_CHANNEL = "outbox_inserted"


async def try_lock_relay(conn: asyncpg.Connection) -> bool:
    return await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", RELAY_LOCK)


async def claim(conn: asyncpg.Connection, *, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT position, id, type, streams, data::text AS data, occurred_at FROM outbox "
        "WHERE relayed_at IS NULL ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )


async def mark_relayed(conn: asyncpg.Connection, positions: list[int], *, now) -> None:
    """Mark rows relayed and stamp `relay_seq` in recording order, continuing the last batch's.

    The caller holds RELAY_LOCK until it commits, so no other batch is stamping meanwhile and
    every seq stamped here becomes visible after all earlier ones (consumers rely on that).
    """
    await conn.execute(
        "UPDATE outbox o SET relayed_at = $2, relay_seq = base.seq + t.ord "
        "FROM unnest($1::bigint[]) WITH ORDINALITY AS t(position, ord), "
        "(SELECT coalesce(max(relay_seq), 0) AS seq FROM outbox) AS base "
        "WHERE o.position = t.position",
        sorted(positions),
        now,
    )


async def backlog(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM outbox WHERE relayed_at IS NULL")


async def listen(dsn: str, on_notify) -> asyncpg.Connection:
    """A dedicated connection LISTENing for committed outbox inserts; close it to stop."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.add_listener(NOTIFY_CHANNEL, lambda *_: on_notify())
    except BaseException:  # cancelled at shutdown, or the server went away: no stray connection
        conn.terminate()
        raise
    return conn
