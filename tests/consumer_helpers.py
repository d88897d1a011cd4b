"""Helpers for tests of durable consumers: waiting until they have caught up, relaying by hand,
and a probe consumer that shows how often each event ran."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from server.domain.events import event, user_stream
from server.keys import CLOCK, MONGO_DB, PG_POOL
from server.services.consumers import (
    ConsumedEvent,
    Consumer,
    ConsumerBatch,
    HandlerRegistry,
)
from server.services.relay import relay_batch


async def settled(db: asyncpg.Connection, within: float = 30.0) -> None:
    """Wait until everything recorded is relayed and every consumer has passed it (a
    consumer's own events are relayed after it commits, so both must hold in one snapshot)."""
    async with asyncio.timeout(within):
        while True:
            row = await db.fetchrow(
                "SELECT (SELECT count(*) FROM outbox WHERE relayed_at IS NULL) AS unrelayed, "
                "(SELECT coalesce(max(relay_seq), 0) FROM outbox) AS head, "
                "(SELECT min(relay_seq) FROM consumer_offsets) AS slowest"
            )
            if row["unrelayed"] == 0 and (row["slowest"] or 0) >= row["head"]:
                return
            await asyncio.sleep(0.02)


async def relay_all(app: web.Application) -> None:
    """Relay what is waiting, without publishing (tests that run the relay by hand)."""

    async def publish(envelopes: list[dict[str, Any]]) -> None:
        pass

    while await relay_batch(
        pool=app[PG_POOL], db=app[MONGO_DB], clock=app[CLOCK], limit=500, publish=publish
    ):
        pass


class Crash(RuntimeError):
    """A process dying between a batch's effects and its commit."""


def probe_consumer(
    db: AsyncDatabase,
    *,
    name: str = "probe",
    batch_size: int = 100,
    crash_on: set[str] | None = None,
    delay: float = 0.0,
    tag: str = "",
) -> Consumer:
    """Handles `probe.*`: counts each run of an event in `probe_runs` (not idempotent, so a
    second run shows), writes its effect idempotently to `probe_effects`, and records a
    `probe.done` event. Events whose `n` is in `crash_on` fail after their effects, once."""
    registry = HandlerRegistry()
    crash_on = set(crash_on or ())

    @registry.on("probe.made")
    async def handle(batch: ConsumerBatch, ev: ConsumedEvent) -> None:
        await db.probe_runs.update_one(
            {"_id": str(ev.id)}, {"$inc": {"runs": 1}, "$push": {"by": tag}}, upsert=True
        )
        await db.probe_effects.update_one(
            {"_id": str(ev.id)}, {"$setOnInsert": {"n": ev.data["n"]}}, upsert=True
        )
        if delay:
            await asyncio.sleep(delay)
        batch.record(
            event("probe.done", user_stream(ev.data["user"]), at=batch.now, n=ev.data["n"])
        )
        if str(ev.data["n"]) in crash_on:
            crash_on.discard(str(ev.data["n"]))
            raise Crash(f"crash after the effects of {ev.data['n']}")

    return Consumer(name=name, handlers=registry.handlers, batch_size=batch_size)
