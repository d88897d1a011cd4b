"""The delivery log, as each user sees their own."""

from __future__ import annotations

import uuid
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.cursors import decode_cursor, encode_cursor
from server.domain.delivery_log import DeliveryPage, DeliveryQuery, DeliveryRead
from server.stores import delivery_queue


async def my_deliveries(
    db: AsyncDatabase, *, user_id: uuid.UUID, query: DeliveryQuery
) -> DeliveryPage:
    after = None
    if query.cursor is not None:
        at, last_id = decode_cursor(query.cursor, datetime, uuid.UUID)
        after = (at, str(last_id))  # delivery ids are uuid strings
    docs = await delivery_queue.page_for_user(
        db,
        user_id,
        channel=query.channel,
        status=query.status,
        after=after,
        limit=query.limit + 1,
    )
    items = [DeliveryRead.from_document(d) for d in docs[: query.limit]]
    more = len(docs) > query.limit
    last = items[-1] if items else None
    cursor = encode_cursor(last.created_at.isoformat(), last.id) if more and last else None
    return DeliveryPage(items=items, next_cursor=cursor)
