"""Durable consumers of the outbox: a named reader that sees every relayed event of the types
it handles once, in relay order, across every process and across crashes.

One batch is one Postgres transaction: lock the consumer's offset row (SKIP LOCKED: when
another process holds it, this one skips the round), read the rows past it, run each event's
handler, append the events the handlers recorded to the outbox, advance the offset, commit.
The handlers' Postgres writes commit with the offset, so they happen exactly once. Their
effects elsewhere (Mongo) happen before the commit: a crash between the two runs the batch
again, so those effects must be idempotent (ids derived from the event id and the recipient,
inserts that ignore duplicates).

A handler that raises rolls the whole batch back; the loop (server/jobs/consumers.py) retries
it after a pause, and the lag gauge shows a consumer stuck behind an event it cannot handle.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from server.domain.clock import Clock
from server.domain.context import SYSTEM
from server.domain.events import DomainEvent
from server.pg_pool import Pool
from server.stores import consumer_offsets as offsets
from server.stores import outbox
from server.stores.consumer_offsets import Start

BUSY = -1  # another process holds the consumer


@dataclass(frozen=True, slots=True)
class ConsumedEvent:
    """An outbox row as a consumer sees it."""

    seq: int  # relay_seq
    id: uuid.UUID
    type: str
    streams: tuple[str, ...]
    data: dict[str, Any]
    occurred_at: datetime
    context: dict[str, Any] | None  # who caused it (actor, ip, request id), when recorded

    @property
    def actor_id(self) -> str | None:
        actor = (self.context or {}).get("actor") or {}
        return actor.get("id")


class ConsumerBatch:
    """What a handler works with: the batch's transaction (`conn`), its instant, and the
    events it records (appended to the outbox when the batch commits)."""

    def __init__(self, conn: asyncpg.Connection, now: datetime) -> None:
        self.conn = conn
        self.now = now
        self.events: list[DomainEvent] = []
        # Work a handler defers to the end of the batch (e.g. one bulk write for all its
        # events), awaited after the last handler and before the batch commits.
        self.before_commit: list[Callable[[], Awaitable[None]]] = []
        # Called once the batch has committed (e.g. waking a worker for what it wrote).
        self.after_commit: list[Callable[[], None]] = []
        self.recorded = 0  # events appended to the outbox so far, by either way

    def record(self, *events: DomainEvent) -> None:
        self.events.extend(events)
        self.recorded += len(events)

    async def record_now(self, events: list[DomainEvent]) -> None:
        """Append `events` to the outbox at once, on the batch's transaction: still committed
        with the batch, and ahead of what `record` collects. For a handler that overlaps the
        append with writes elsewhere."""
        await outbox.append_bulk(self.conn, events, context=SYSTEM)
        self.recorded += len(events)


Handler = Callable[[ConsumerBatch, ConsumedEvent], Awaitable[None]]


@dataclass
class HandlerRegistry:
    """Handlers by event type: `@registry.on("assignment.published")`."""

    handlers: dict[str, Handler] = field(default_factory=dict)

    def on(self, *types: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for type in types:
                if type in self.handlers:
                    raise ValueError(f"{type} already has a handler")
                self.handlers[type] = handler
            return handler

        return register


@dataclass(frozen=True)
class Consumer:
    name: str
    handlers: Mapping[str, Handler]
    # A new consumer starts at the head (reacts from now on) or at the beginning (replays
    # every event still in the outbox, e.g. to build a log).
    start: Start = "head"
    batch_size: int = 100
    # A consumer that takes over part of another's work starts at that one's offset, when it
    # has one, so the events between that offset and the head are neither lost nor done twice.
    start_at: str | None = None
    # Woken once the named consumer's batches (those that handled events) are relayed, rather
    # than at every relay commit: it runs behind that one instead of beside it. Scheduling
    # only: it keeps its own offset and never waits on the other's; past events of types
    # neither handles, it catches up at its poll (server/jobs/consumers.py).
    follows: str | None = None


async def ensure_offset(*, pool: Pool, clock: Clock, consumer: Consumer) -> None:
    async with pool.acquire() as conn:
        await offsets.ensure(
            conn, consumer.name, start=consumer.start, now=clock.now(), at=consumer.start_at
        )


def _event(row: asyncpg.Record) -> ConsumedEvent:
    return ConsumedEvent(
        seq=row["relay_seq"],
        id=row["id"],
        type=row["type"],
        streams=tuple(row["streams"]),
        data=json.loads(row["data"]),
        occurred_at=row["occurred_at"],
        context=json.loads(row["context"]) if row["context"] else None,
    )


async def consume_batch(
    *,
    pool: Pool,
    clock: Clock,
    consumer: Consumer,
    committed: Callable[[ConsumerBatch], None] | None = None,
) -> int:
    """Events handled (0 when caught up, BUSY when another process holds the consumer).
    `committed` is called with a batch that handled events, once it has committed."""
    async with pool.acquire() as conn, conn.transaction():
        offset = await offsets.lock(conn, consumer.name)
        if offset is None:
            return BUSY
        rows, head = await offsets.pending(
            conn, after=offset, types=list(consumer.handlers), limit=consumer.batch_size
        )
        batch = ConsumerBatch(conn, clock.now())
        for row in rows:
            event = _event(row)
            await consumer.handlers[event.type](batch, event)
        for finish in batch.before_commit:
            await finish()
        # A full batch stops at its last row; a short one saw everything up to the head.
        reached = rows[-1]["relay_seq"] if len(rows) >= consumer.batch_size else head
        await outbox.append_bulk(conn, batch.events, context=SYSTEM)
        if reached > offset:
            await offsets.advance(conn, consumer.name, reached, now=batch.now)
    for then in batch.after_commit:
        then()
    if rows and committed is not None:
        committed(batch)
    return len(rows)


async def consumer_lags(*, pool: Pool) -> dict[str, int]:
    async with pool.acquire() as conn:
        return await offsets.lags(conn)
