"""The in-app inbox (Mongo `notifications`): one document per notification and recipient.

`_id` is derived from the event and the recipient (server.domain.notification_rules), so the
consumer's bulk insert is idempotent: after a crash it inserts the same ids, and the ones
already present are reported rather than written twice. Archived items stay (with
`archived_at`) but leave every view.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from server.stores.mongo_errors import only_duplicates
from server.stores.mongo_in import chunks

INBOX = "notifications"


async def insert_many(db: AsyncDatabase, docs: Sequence[dict[str, Any]]) -> set[str]:
    """Insert the items; returns the ids that were already there (a batch run again)."""
    if not docs:
        return set()
    try:
        await db[INBOX].insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        if not only_duplicates(exc):
            raise
        return {docs[e["index"]]["_id"] for e in exc.details.get("writeErrors", [])}
    return set()


def _visible(user_id: uuid.UUID, **more: Any) -> dict[str, Any]:
    return {"user_id": str(user_id), "archived_at": None, **more}


async def page(
    db: AsyncDatabase,
    user_id: uuid.UUID,
    *,
    unread_only: bool,
    course_id: uuid.UUID | None,
    before_seq: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first: in the order the events reached the inbox (their relay_seq, one item per
    event and user, so it is a total order); `before_seq` continues after a page."""
    query = _visible(user_id)
    if unread_only:
        query["read_at"] = None
    if course_id is not None:
        query["course_id"] = str(course_id)
    if before_seq is not None:
        query["seq"] = {"$lt": before_seq}
    cursor = db[INBOX].find(query).sort("seq", -1).limit(limit)
    return await cursor.to_list()


async def unread_count(db: AsyncDatabase, user_id: uuid.UUID) -> int:
    return await db[INBOX].count_documents(_visible(user_id, read_at=None))


async def unread_counts(db: AsyncDatabase, user_ids: Sequence[str]) -> dict[str, int]:
    """Unread items per user (0 for those with none)."""
    found: dict[str, int] = {}
    for part in chunks(user_ids):
        pipeline = [
            {"$match": {"user_id": {"$in": part}, "archived_at": None, "read_at": None}},
            {"$group": {"_id": "$user_id", "n": {"$sum": 1}}},
        ]
        found.update({d["_id"]: d["n"] async for d in await db[INBOX].aggregate(pipeline)})
    return {u: found.get(u, 0) for u in user_ids}


async def mark_read(
    db: AsyncDatabase, user_id: uuid.UUID, notification_id: str, now: datetime
) -> tuple[dict[str, Any] | None, bool]:
    """The item after reading it, and whether this call read it (False: it was read already);
    (None, False) when the user has no such visible item."""
    doc = await db[INBOX].find_one_and_update(
        _visible(user_id, _id=notification_id, read_at=None),
        {"$set": {"read_at": now}},
        return_document=ReturnDocument.AFTER,
    )
    if doc is not None:
        return doc, True
    return await db[INBOX].find_one(_visible(user_id, _id=notification_id)), False


async def mark_all_read(
    db: AsyncDatabase, user_id: uuid.UUID, course_id: uuid.UUID | None, now: datetime
) -> int:
    query = _visible(user_id, read_at=None)
    if course_id is not None:
        query["course_id"] = str(course_id)
    result = await db[INBOX].update_many(query, {"$set": {"read_at": now}})
    return result.modified_count


async def archive(
    db: AsyncDatabase, user_id: uuid.UUID, notification_id: str, now: datetime
) -> bool:
    result = await db[INBOX].update_one(
        _visible(user_id, _id=notification_id), {"$set": {"archived_at": now}}
    )
    return result.matched_count == 1
