"""Who has a live socket, across processes (Mongo `presence`).

One document per user and process (`<user>:<instance>`), written by that process's realtime hub
when the user's first socket there connects and deleted when the last one leaves. Each process
refreshes `seen_at` on its documents every heartbeat, so the documents of a process that died
without saying goodbye stop counting once they are older than the staleness window.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from server.stores.mongo_in import find_in

PRESENCE = "presence"


async def write(
    db: AsyncDatabase,
    *,
    instance: str,
    present: Iterable[uuid.UUID],
    gone: Iterable[uuid.UUID],
    now: datetime,
) -> None:
    ops: list[UpdateOne | DeleteOne] = [
        UpdateOne(
            {"_id": f"{u}:{instance}"},
            {"$set": {"user_id": str(u), "instance": instance, "seen_at": now}},
            upsert=True,
        )
        for u in present
    ]
    ops += [DeleteOne({"_id": f"{u}:{instance}"}) for u in gone]
    if ops:
        await db[PRESENCE].bulk_write(ops, ordered=False)


async def heartbeat(db: AsyncDatabase, *, instance: str, now: datetime) -> None:
    await db[PRESENCE].update_many({"instance": instance}, {"$set": {"seen_at": now}})


async def forget_instance(db: AsyncDatabase, instance: str) -> None:
    await db[PRESENCE].delete_many({"instance": instance})


async def online(db: AsyncDatabase, user_ids: Iterable[str], *, since: datetime) -> set[str]:
    """Which of these users have a socket on a process heard from since `since`."""
    ids = list(user_ids)
    if not ids:
        return set()
    found = find_in(db[PRESENCE], "user_id", ids, {"seen_at": {"$gte": since}}, {"user_id": 1})
    return {d["user_id"] async for d in found}
