"""The audit log (Mongo `audit_log`, `_id` = seq). Append-only: this module inserts and reads;
nothing here (nor anywhere else) updates or deletes an entry.

The live feed is `audit.entry` on the `admin:audit` stream, recorded by the audit consumer
(server/services/admin_audit.py), so it has the spine's ordering and replay.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

AUDIT_LOG = "audit_log"
LIVE_EVENT = "audit.entry"


async def last(db: AsyncDatabase) -> dict[str, Any] | None:
    return await db[AUDIT_LOG].find_one({}, sort=[("_id", -1)])


async def tail(db: AsyncDatabase, count: int) -> list[dict[str, Any]]:
    """The newest `count` entries."""
    return await db[AUDIT_LOG].find({}).sort("_id", -1).limit(count).to_list(None)


async def append_many(db: AsyncDatabase, entries: Sequence[dict[str, Any]]) -> None:
    """Entries in seq order; `_id` is the seq, so an entry can never be written twice."""
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
