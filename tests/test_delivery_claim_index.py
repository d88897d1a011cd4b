"""The worker's claim rides an index: with thousands of deliveries held (pushes waiting out the
grace, digests waiting for 08:00) each poll must read the due ones, not every waiting one."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from server.stores import delivery_queue
from server.stores.deliveries import DELIVERIES
from server.stores.mongo_indexes import ensure_indexes


def waiting(n: int, status: str, not_before, **extra) -> list[dict]:
    return [
        {"_id": str(uuid.uuid4()), "status": status, "not_before": not_before, "channel": "push",
         "user_id": str(uuid.uuid4()), "created_at": not_before, **extra}
        for _ in range(n)
    ]  # fmt: skip


async def test_each_claim_shape_rides_an_index(mongo, clock):
    await ensure_indexes(mongo)
    now = clock.now()
    await mongo[DELIVERIES].insert_many(
        waiting(50, "queued", now + timedelta(minutes=1), hold="grace")
        + waiting(3, "queued", now)
        + waiting(4, "failed", now - timedelta(seconds=5), batch="b1")
        + waiting(2, "failed", now - timedelta(seconds=5))
    )
    queued = delivery_queue.due_shapes(now)[0]  # most of what waits is queued: held
    plan = await mongo.command(
        {"explain": {"find": DELIVERIES, "filter": queued, "sort": {"not_before": 1, "_id": 1},
                     "limit": 100}, "verbosity": "executionStats"}
    )  # fmt: skip
    text = json.dumps(plan, default=str)
    assert '"indexName": "due"' in text and "COLLSCAN" not in text, text
    assert plan["executionStats"]["totalDocsExamined"] <= 3, text  # the due ones only

    claimed = await delivery_queue.claim(
        mongo, now=now, lease_until=now + timedelta(minutes=5), worker="w", limit=100
    )
    # Due singles only: nothing held, and no batch member (its batch is retried whole).
    assert sorted((d["status"], d.get("batch")) for d in claimed) == [("sending", None)] * 5
