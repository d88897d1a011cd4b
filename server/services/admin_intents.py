"""Mongo-side changes (admins, rules, rule acceptances) that commit with their event and audit.

Mongo and Postgres share no transaction, so a change to a Mongo document is made in three steps
inside one unit of work, under a Postgres advisory lock per `key` (what must not change
concurrently: "admins", "rule:{id}", ...):

1. settle what earlier changes under the same key left behind (below);
2. the use case reads Mongo, checks, and *stages* the change as an intent document whose id is
   the id of the event the unit of work records with it;
3. the unit of work commits (event + audit), then the intent is applied and dropped.

An intent's fate is decided by Postgres alone: applied if its event is in the outbox, dropped
if not. Whoever next takes the lock (another change, or the periodic `settle_stale`) finishes
the work of a process that died between commit and apply, and discards what a rolled-back
transaction staged. Appliers are idempotent and never move a document backwards (versions are
guarded), so applying twice, or late, is harmless. See docs/administration.md.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase

from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.events import DomainEvent
from server.pg_pool import Pool
from server.services.unit_of_work import UnitOfWork, unit_of_work
from server.stores import admin_accounts, admin_rules
from server.stores import admin_intents as store

log = logging.getLogger("classconnect.admin")

Applier = Callable[[AsyncDatabase, dict], Awaitable[None]]

APPLIERS: dict[str, Applier] = {
    "admin.create": admin_accounts.apply_create,
    "admin.remove": admin_accounts.apply_remove,
    "rule.put": admin_rules.apply_put,
    "rule.delete": admin_rules.apply_delete,
    "rule.accept": admin_rules.apply_accept,
}


class MongoChange:
    """What a use case holds inside `mongo_change`: the unit of work and the staging call."""

    def __init__(self, uow: UnitOfWork, db: AsyncDatabase, key: str) -> None:
        self.uow = uow
        self.db = db
        self.key = key
        self.staged: list[tuple[uuid.UUID, str, dict]] = []

    async def stage(self, kind: str, payload: dict, event: DomainEvent) -> None:
        """Record `event` and stage the Mongo change it stands for (applied after commit)."""
        if kind not in APPLIERS:
            raise ValueError(f"no applier for {kind!r}")
        self.uow.record(event)
        await store.stage(
            self.db, event_id=event.id, key=self.key, kind=kind, payload=payload, at=self.uow.now
        )
        self.staged.append((event.id, kind, payload))


@asynccontextmanager
async def mongo_change(
    *, pool: Pool, clock: Clock, context: RequestContext, db: AsyncDatabase, key: str
) -> AsyncIterator[MongoChange]:
    change: MongoChange | None = None
    try:
        async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
            await store.lock(uow.conn, key)
            await _settle(uow.conn, db, key)
            change = MongoChange(uow, db, key)
            yield change
    except BaseException:
        if change is not None and change.staged:
            # Rolled back, or a COMMIT whose outcome we cannot know: let Postgres decide.
            with contextlib.suppress(Exception):
                await settle_key(pool=pool, db=db, key=key)
        raise
    for event_id, kind, payload in change.staged:
        await APPLIERS[kind](db, payload)
        await store.drop(db, str(event_id))


async def _settle(conn: asyncpg.Connection, db: AsyncDatabase, key: str) -> int:
    """Under the key's lock: apply what committed, drop what did not. Returns how many."""
    intents = await store.pending(db, key=key)
    if not intents:
        return 0
    done = await store.committed(conn, [uuid.UUID(i["_id"]) for i in intents])
    for intent in intents:
        if uuid.UUID(intent["_id"]) in done:
            await APPLIERS[intent["kind"]](db, intent["payload"])
        else:
            log.info(
                "dropping an intent whose transaction did not commit",
                extra={"intent": intent["_id"], "kind": intent["kind"]},
            )
        await store.drop(db, intent["_id"])
    return len(intents)


async def settle_key(*, pool: Pool, db: AsyncDatabase, key: str) -> int:
    """Settle one key's intents. Postgres is only read (and locked): what is applied was
    committed and audited by the change that staged it."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await store.lock(conn, key)
        return await _settle(conn, db, key)


async def settle_stale(*, pool: Pool, db: AsyncDatabase, before: datetime) -> int:
    """Settle every key with an intent staged before `before` (a process died mid-change)."""
    keys = {i["key"] for i in await store.pending(db, before=before)}
    settled = 0
    for key in sorted(keys):
        settled += await settle_key(pool=pool, db=db, key=key)
    return settled
