"""The delivery log (Mongo `notification_deliveries`): one document per notification x channel.

`enqueue` is the notifications consumer's entry point; everything after it (claiming under a
lease, scheduling, outcomes, the user's and the admins' views) belongs to the delivery side.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from server.domain.deliveries import NewDelivery
from server.stores.mongo_errors import only_duplicates

DELIVERIES = "notification_deliveries"


async def enqueue(db: AsyncDatabase, deliveries: Sequence[NewDelivery]) -> int:
    """Insert deliveries once each; ones already present (a consumer's retry) are left as they
    are. Returns how many were new."""
    if not deliveries:
        return 0
    try:
        result = await db[DELIVERIES].insert_many(
            [d.as_document() for d in deliveries], ordered=False
        )
        return len(result.inserted_ids)
    except BulkWriteError as exc:
        if not only_duplicates(exc):
            raise
        return exc.details.get("nInserted", 0)
