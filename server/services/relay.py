"""Relay one batch of the outbox into the event log, then publish it.

The whole batch runs in one Postgres transaction that holds the relay lock: claim rows, append
their envelopes to the log (idempotent), publish them, mark the rows relayed. Publishing before
the commit keeps one total order of publications across processes; a crash after publishing
re-publishes the same seqs, which clients drop as duplicates.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.clock import Clock
from server.pg_pool import Pool
from server.stores import event_log, outbox_relay

Publish = Callable[[list[dict[str, Any]]], Awaitable[None]]

BUSY = -1  # another process holds the relay lock


async def relay_batch(
    *, pool: Pool, db: AsyncDatabase, clock: Clock, limit: int, publish: Publish
) -> int:
    """Rows relayed (0 when none are waiting, BUSY when another relay is at work)."""
    async with pool.acquire() as conn, conn.transaction():
        if not await outbox_relay.try_lock_relay(conn):
            return BUSY
        rows = await outbox_relay.claim(conn, limit=limit)
        if not rows:
            return 0
        pending = [
            event_log.Pending(
                event_id=str(row["id"]),
                stream=stream,
                type=row["type"],
                at=row["occurred_at"],
                data=json.loads(row["data"]),
            )
            for row in rows
            for stream in row["streams"]
        ]
        envelopes = await event_log.append(db, pending)
        await publish(envelopes)
        await outbox_relay.mark_relayed(conn, [r["position"] for r in rows], now=clock.now())
    return len(rows)
