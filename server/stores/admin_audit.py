"""The audit log (Mongo `audit_log`, `_id` = seq). Append-only: this module inserts and reads;
nothing here (nor anywhere else) updates or deletes an entry.

`publish` puts entries on the spine (outbox -> event log -> /admin room `audit`), so the live
feed has the spine's ordering and replay.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase

from server.domain.admin_audit import wire
from server.domain.events import ADMIN_AUDIT_STREAM

AUDIT_LOG = "audit_log"
LIVE_EVENT = "audit.entry"
_LIVE_IDS = uuid.UUID("0b6a4f53-7d0e-4c52-8d51-8c2b7d6f1a33")


async def last(db: AsyncDatabase) -> dict[str, Any] | None:
    return await db[AUDIT_LOG].find_one({}, sort=[("_id", -1)])


async def by_event_ids(db: AsyncDatabase, event_ids: list[str]) -> dict[str, dict[str, Any]]:
    cursor = db[AUDIT_LOG].find({"event_id": {"$in": event_ids}})
    return {doc["event_id"]: doc async for doc in cursor}


async def append(db: AsyncDatabase, entries: Sequence[dict[str, Any]]) -> None:
    if entries:
        await db[AUDIT_LOG].insert_many([{"_id": e["seq"], **e} for e in entries], ordered=True)


def _filters(
    *,
    actor_id: str | None = None,
    action: str | None = None,
    target_kind: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if actor_id is not None:
        query["actor.id"] = actor_id
    if action is not None:
        query["action"] = action
    if target_kind is not None:
        query["target.kind"] = target_kind
    if target_id is not None:
        query["target.id"] = target_id
    if since is not None or until is not None:
        query["at"] = {
            **({"$gte": since} if since is not None else {}),
            **({"$lt": until} if until is not None else {}),
        }
    return query


async def page(
    db: AsyncDatabase, *, before_seq: int | None, limit: int, **filters: Any
) -> list[dict[str, Any]]:
    query = _filters(**filters)
    if before_seq is not None:
        query["_id"] = {"$lt": before_seq}
    return await db[AUDIT_LOG].find(query).sort("_id", -1).limit(limit).to_list(None)


async def scan(
    db: AsyncDatabase, *, from_seq: int = 1, to_seq: int | None = None, **filters: Any
) -> AsyncIterator[dict[str, Any]]:
    """Entries in seq order (verify, exports), read in batches, never all at once."""
    query = _filters(**filters)
    query["_id"] = {"$gte": from_seq, **({"$lte": to_seq} if to_seq is not None else {})}
    async for doc in db[AUDIT_LOG].find(query).sort("_id", 1).batch_size(500):
        yield doc


async def entry(db: AsyncDatabase, seq: int) -> dict[str, Any] | None:
    return await db[AUDIT_LOG].find_one({"_id": seq})


async def about(db: AsyncDatabase, subject_id: str, limit: int) -> list[dict[str, Any]]:
    """The newest entries a user (or admin) did or was the target of."""
    query = {"$or": [{"actor.id": subject_id}, {"target.id": subject_id}]}
    return await db[AUDIT_LOG].find(query).sort("_id", -1).limit(limit).to_list(None)


async def publish(conn: asyncpg.Connection, entries: Sequence[dict[str, Any]]) -> None:
    """Record each entry on the `admin:audit` stream. Ids derive from the seq, so publishing
    again (a consumer retrying a batch) records nothing twice."""
    rows = [
        (
            uuid.uuid5(_LIVE_IDS, str(e["seq"])),
            LIVE_EVENT,
            [ADMIN_AUDIT_STREAM],
            json.dumps(wire(e)),
            e["at"],
        )
        for e in entries
    ]
    if rows:
        await conn.executemany(
            "INSERT INTO outbox (id, type, streams, data, occurred_at) "
            "VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (id) DO NOTHING",
            rows,
        )
