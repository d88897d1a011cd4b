"""Staged Mongo changes (`admin_intents`) and the Postgres facts that decide their fate.

An intent is a Mongo change written before the Postgres transaction that records its event and
audit commits; it is applied once that event is known to have committed. See
server/services/admin_intents.py and docs/administration.md.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase

INTENTS = "admin_intents"


async def lock(conn: asyncpg.Connection, key: str) -> None:
    """Serialise the changes sharing `key` until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"admin-intent:{key}")


async def committed(conn: asyncpg.Connection, event_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Of these event ids, the ones whose transaction committed (they are in the outbox)."""
    rows = await conn.fetch("SELECT id FROM outbox WHERE id = ANY($1::uuid[])", event_ids)
    return {r["id"] for r in rows}


async def stage(
    db: AsyncDatabase, *, event_id: uuid.UUID, key: str, kind: str, payload: dict, at: datetime
) -> None:
    await db[INTENTS].insert_one(
        {"_id": str(event_id), "key": key, "kind": kind, "payload": payload, "at": at}
    )


async def pending(
    db: AsyncDatabase, *, key: str | None = None, before: datetime | None = None
) -> list[dict[str, Any]]:
    query: dict[str, Any] = {}
    if key is not None:
        query["key"] = key
    if before is not None:
        query["at"] = {"$lt": before}
    return await db[INTENTS].find(query).sort("at", 1).to_list(None)


async def drop(db: AsyncDatabase, event_id: str) -> None:
    await db[INTENTS].delete_one({"_id": event_id})
