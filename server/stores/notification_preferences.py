"""Notification preferences (Mongo `notification_preferences`, `_id` = the user's id)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.notification_preferences import NotificationPreferences
from server.stores.mongo_in import find_in

PREFERENCES = "notification_preferences"


async def load(db: AsyncDatabase, user_id: uuid.UUID) -> NotificationPreferences:
    doc = await db[PREFERENCES].find_one({"_id": str(user_id)}, {"_id": 0})
    return NotificationPreferences.model_validate(doc or {})


async def load_many(
    db: AsyncDatabase, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, NotificationPreferences]:
    """Everyone's preferences, defaults for those who never set any (one query)."""
    ids = list(user_ids)
    stored = {d.pop("_id"): d async for d in find_in(db[PREFERENCES], "_id", [str(u) for u in ids])}
    return {u: NotificationPreferences.model_validate(stored.get(str(u), {})) for u in ids}


async def save(db: AsyncDatabase, user_id: uuid.UUID, prefs: NotificationPreferences) -> None:
    await db[PREFERENCES].replace_one(
        {"_id": str(user_id)}, prefs.model_dump(mode="json"), upsert=True
    )
