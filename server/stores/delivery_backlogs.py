"""How far behind notification deliveries are (Mongo `notification_deliveries`), per channel:
how many are due and wait for a worker, how many are held for later, and how long the
longest-waiting due one has been due.

Read by the metrics sampler every few seconds from every process, so each query is an equality
on `status` and a range on `not_before`, which the `due` index (server/stores/mongo_indexes.py)
serves, and counts stop at COUNT_CAP like the Postgres backlogs (server/stores/backlogs.py).
Ages are measured against the caller's clock (`now`), never the database's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.stores.backlogs import COUNT_CAP
from server.stores.deliveries import DELIVERIES

CHANNELS = ("email", "push")
HOLDS = ("quiet", "digest", "grace")  # what a held delivery waits for (delivery_plan.Hold)
# Due once `not_before` has passed, until a worker takes them: new and released deliveries
# (`queued`) and failed ones whose retry time has come (`failed`).
WAITING = ("queued", "failed")


@dataclass
class DeliveryBacklog:
    pending: int = 0  # due now, not taken by a worker yet
    oldest_due_age_seconds: float = 0.0  # since the longest-waiting due one became due; 0: none
    held: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HOLDS, 0))


def pending_pipeline(status: str, now: datetime) -> list[dict[str, Any]]:
    """Due deliveries of `status` per channel: how many, and the earliest `not_before`. Sorted
    before the cap, so a capped count still finds the oldest."""
    return [
        {"$match": {"status": status, "not_before": {"$lte": now}}},
        {"$sort": {"not_before": 1}},
        {"$limit": COUNT_CAP},
        {"$group": {"_id": "$channel", "n": {"$sum": 1}, "oldest": {"$min": "$not_before"}}},
    ]


def held_pipeline(now: datetime) -> list[dict[str, Any]]:
    """Queued deliveries not due yet, per channel and what they wait for."""
    return [
        {"$match": {"status": "queued", "not_before": {"$gt": now}}},
        {"$limit": COUNT_CAP},
        {"$group": {"_id": {"channel": "$channel", "hold": "$hold"}, "n": {"$sum": 1}}},
    ]


async def delivery_backlogs(db: AsyncDatabase, *, now: datetime) -> dict[str, DeliveryBacklog]:
    """Every channel, with zeros where nothing waits (so a cleared backlog reads 0)."""
    out = {channel: DeliveryBacklog() for channel in CHANNELS}
    oldest: dict[str, datetime] = {}
    for status in WAITING:
        async for row in await db[DELIVERIES].aggregate(pending_pipeline(status, now)):
            backlog = out.setdefault(row["_id"], DeliveryBacklog())
            backlog.pending += row["n"]
            if row["_id"] not in oldest or row["oldest"] < oldest[row["_id"]]:
                oldest[row["_id"]] = row["oldest"]
    for channel, at in oldest.items():
        out[channel].oldest_due_age_seconds = max(0.0, (now - at).total_seconds())
    async for row in await db[DELIVERIES].aggregate(held_pipeline(now)):
        backlog = out.setdefault(row["_id"]["channel"], DeliveryBacklog())
        hold = row["_id"].get("hold") or "none"  # queued for later without a hold: not expected
        backlog.held[hold] = backlog.held.get(hold, 0) + row["n"]
    return out
