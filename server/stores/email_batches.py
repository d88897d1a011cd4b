"""Email batches (Mongo `notification_email_batches`): up to 1,000 rendered emails sent in one
Brevo call under one idempotency key (the batch id).

A batch is written, with every version's content and the deliveries it carries, *before* the
call, and its members point at it (`batch` on each delivery). From then on the batch is what is
leased and retried: after a crash or a transient failure it is sent again whole, with the same
content and key, so Brevo drops a repeat of a call it had already accepted. A batch is deleted
once its outcome is recorded on its members.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from server.stores.deliveries import DELIVERIES

BATCHES = "notification_email_batches"


async def create(
    db: AsyncDatabase,
    *,
    batch_id: str,
    versions: Sequence[dict[str, Any]],
    tag: str,
    worker: str,
    lease_until: datetime,
    now: datetime,
) -> None:
    """`versions`: `{ids, to, subject, text, html}` each; `ids` are the deliveries it carries."""
    await db[BATCHES].insert_one(
        {
            "_id": batch_id,
            "versions": list(versions),
            "tag": tag,
            "status": "sending",
            "worker": worker,
            "lease_until": lease_until,
            "not_before": now,
            "attempts": 0,
            "created_at": now,
        }
    )


async def claim_due(
    db: AsyncDatabase, *, now: datetime, lease_until: datetime, worker: str, limit: int
) -> list[dict[str, Any]]:
    """Lease batches whose lease ran out (a crash) or whose retry is due, one at a time (each
    take is atomic), and put their waiting members back to `sending`."""
    taken: list[dict[str, Any]] = []
    while len(taken) < limit:
        batch = await db[BATCHES].find_one_and_update(
            {
                "$or": [
                    {"status": "sending", "lease_until": {"$lte": now}},
                    {"status": "failed", "not_before": {"$lte": now}},
                ]
            },
            {"$set": {"status": "sending", "worker": worker, "lease_until": lease_until}},
            sort=[("not_before", 1)],
            return_document=ReturnDocument.AFTER,
        )
        if batch is None:
            break
        await db[DELIVERIES].update_many(
            {"batch": batch["_id"], "status": "failed"},
            {"$set": {"status": "sending", "updated_at": now}},
        )
        taken.append(batch)
    return taken


async def pending_members(db: AsyncDatabase, batch: dict[str, Any]) -> set[str]:
    """The batch's deliveries still waiting on it (not yet given an outcome)."""
    found = db[DELIVERIES].find({"batch": batch["_id"], "status": "sending"}, {"_id": 1})
    return {d["_id"] async for d in found}


async def retry_later(
    db: AsyncDatabase, batch_id: str, *, worker: str, retry_at: datetime, error: str
) -> bool:
    result = await db[BATCHES].update_one(
        {"_id": batch_id, "worker": worker, "status": "sending"},
        {
            "$set": {"status": "failed", "not_before": retry_at, "last_error": error[:2000]},
            "$unset": {"lease_until": ""},
            "$inc": {"attempts": 1},
        },
    )
    return result.modified_count == 1


async def finish(db: AsyncDatabase, batch_id: str) -> None:
    await db[BATCHES].delete_one({"_id": batch_id})
