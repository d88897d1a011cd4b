"""Notification preferences (Mongo `notification_preferences`, `_id` = the user's id)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.notification_preferences import NotificationPreferences
from server.stores.mongo_in import IN_CHUNK, find_in

PREFERENCES = "notification_preferences"


async def load(db: AsyncDatabase, user_id: uuid.UUID) -> NotificationPreferences:
    doc = await db[PREFERENCES].find_one({"_id": str(user_id)}, {"_id": 0})
    return NotificationPreferences.model_validate(doc or {})


async def load_many(
    db: AsyncDatabase, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, NotificationPreferences]:
    """Everyone's preferences, defaults for those who never set any.

    Most people never change theirs: when fewer are stored than are asked for (a rule to every
    user), reading all that are stored is cheaper than looking up each id (on SecantusDB, for
    10,000 ids with a tenth stored, 0.03 s instead of 0.37 s; bench/notification_inbox.py)."""
    ids = list(user_ids)
    wanted = [str(u) for u in ids]
    prefs = db[PREFERENCES]
    if len(ids) > IN_CHUNK and await prefs.estimated_document_count() <= len(ids):
        asked = set(wanted)
        found = (d async for d in prefs.find({}) if d["_id"] in asked)
    else:
        found = find_in(prefs, "_id", wanted)
    stored = {d.pop("_id"): d async for d in found}
    return {u: NotificationPreferences.model_validate(stored.get(str(u), {})) for u in ids}


async def save(db: AsyncDatabase, user_id: uuid.UUID, prefs: NotificationPreferences) -> None:
    await db[PREFERENCES].replace_one(
        {"_id": str(user_id)}, prefs.model_dump(mode="json"), upsert=True
    )
