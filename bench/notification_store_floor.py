"""The store floor of `bench.notifications --phases live`: the Mongo writes that any design of
the live path must make for one publish's notifications, done bare, in the same Mongo.

Per recipient, at the least: the inbox item (durable, listed by REST) and one envelope on the
user's stream (its seq is what replay and the per-socket gate stand on), inserted in bulk into
collections with the real indexes, and the stream's head moved after the insert. The server
writes more (a second envelope, `notification.unread_count`; the push delivery) and does the
rest around them (audience, preferences, counters, the outbox, two relay hops), so no version
of the path can beat this floor on the same store: if it alone exceeds the goal's latency, the
goal cannot be met on that store.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from server.stores.mongo_indexes import INDEXES

SCRATCH = {"notifications": "floor_notifications", "event_log": "floor_event_log"}
HEADS = "floor_event_log_heads"


async def prepare(db: AsyncDatabase, students: int) -> list[str]:
    """Scratch copies of the inbox and the event log, with the real indexes; the recipients."""
    for spec in INDEXES:
        if spec.collection in SCRATCH:
            await db[SCRATCH[spec.collection]].create_index(spec.keys, **spec.options)
    return [str(uuid.uuid4()) for _ in range(students)]


async def one_publish(db: AsyncDatabase, users: list[str], seq: int) -> float:
    """Seconds to write one publish's minimal documents for `users` (seq: the publish's number,
    which is also each stream's next seq here)."""
    now = datetime.now(UTC)
    event = str(uuid.uuid4())
    items = [
        {"_id": str(uuid.uuid4()), "user_id": u, "seq": seq, "type": "assignment.published",
         "title": "Nueva tarea: Tarea de prueba", "body": "Vence el 10 de diciembre",
         "data": {"course_id": event, "assignment_id": event}, "created_at": now,
         "read_at": None}
        for u in users
    ]  # fmt: skip
    envelopes = [
        {"event_id": event, "stream": f"user:{u}", "seq": seq, "type": "notification.created",
         "at": now, "data": {k: v for k, v in item.items() if k != "user_id"}}
        for u, item in zip(users, items, strict=True)
    ]  # fmt: skip
    started = time.perf_counter()
    await db[SCRATCH["notifications"]].insert_many(items, ordered=False)
    await db[SCRATCH["event_log"]].insert_many(envelopes, ordered=True)
    await db[HEADS].bulk_write(
        [UpdateOne({"_id": e["stream"]}, {"$max": {"seq": seq, "appended": seq}}, upsert=True)
         for e in envelopes],
        ordered=False,
    )  # fmt: skip
    return time.perf_counter() - started


async def store_floor(
    db: AsyncDatabase, users: list[str], publishes: int, first: int
) -> list[float]:
    """`publishes` publishes' minimal writes, one after the other; seconds each."""
    return [await one_publish(db, users, first + n) for n in range(publishes)]
