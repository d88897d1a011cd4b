"""The transactional outbox. `append` runs inside the use case's transaction; the relay claims
unrelayed rows with FOR UPDATE SKIP LOCKED so several processes can relay safely."""

from __future__ import annotations

import json
from collections.abc import Iterable

import asyncpg

from server.domain.context import RequestContext
from server.domain.events import DomainEvent


def _rows(events: Iterable[DomainEvent], context: RequestContext | None) -> list[tuple]:
    stamp = json.dumps(context.as_dict()) if context is not None else None
    return [
        (e.id, e.type, list(e.streams), json.dumps(e.data, default=str), e.occurred_at, stamp)
        for e in events
    ]


async def append(
    conn: asyncpg.Connection,
    events: Iterable[DomainEvent],
    *,
    context: RequestContext | None = None,
) -> None:
    rows = _rows(events, context)
    if rows:
        await conn.executemany(
            "INSERT INTO outbox (id, type, streams, data, occurred_at, context) "
            "VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb)",
            rows,
        )


async def append_bulk(
    conn: asyncpg.Connection,
    events: Iterable[DomainEvent],
    *,
    context: RequestContext | None = None,
) -> None:
    """`append` for many events at once (a notification to 10,000 users records 20,000): one
    COPY instead of one INSERT per row. COPY fires the same statement trigger (NOTIFY)."""
    rows = _rows(events, context)
    if rows:
        await conn.copy_records_to_table(
            "outbox",
            records=rows,
            columns=["id", "type", "streams", "data", "occurred_at", "context"],
        )


async def recorded(conn: asyncpg.Connection, *, type: str | None = None) -> list[asyncpg.Record]:
    """Events in the order they were recorded (tests and the relay's diagnostics)."""
    return await conn.fetch(
        "SELECT id, type, streams, data, occurred_at, relayed_at, context, relay_seq FROM outbox "
        "WHERE $1::text IS NULL OR type = $1 ORDER BY position",
        type,
    )
