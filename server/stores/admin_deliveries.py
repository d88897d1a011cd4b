"""Admins' reads of the delivery log (Mongo `notification_deliveries`, written by the
notifications pipeline; see server/stores/deliveries.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.stores.deliveries import DELIVERIES

_LISTED = {"body": 0, "data": 0, "extra": 0}  # the list shows what happened, not the content


async def page(
    db: AsyncDatabase,
    *,
    user_id: str | None,
    status: str | None,
    channel: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first, keyset-paged on (created_at, _id)."""
    query: dict[str, Any] = {}
    if user_id is not None:
        query["user_id"] = user_id
    if status is not None:
        query["status"] = status
    if channel is not None:
        query["channel"] = channel
    if after is not None:
        at, last_id = after
        query["$or"] = [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": last_id}}]
    cursor = db[DELIVERIES].find(query, _LISTED).sort([("created_at", -1), ("_id", -1)])
    return await cursor.limit(limit).to_list(None)


async def outcomes_since(db: AsyncDatabase, since: datetime) -> dict[str, int]:
    """How many deliveries ended in each status since `since` (by their last update)."""
    pipeline = [
        {"$match": {"updated_at": {"$gte": since}, "status": {"$in": ["sent", "failed", "dead"]}}},
        {"$group": {"_id": "$status", "n": {"$sum": 1}}},
    ]
    cursor = await db[DELIVERIES].aggregate(pipeline)
    return {doc["_id"]: doc["n"] async for doc in cursor}
