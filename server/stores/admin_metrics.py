"""Figures for `GET /admin/metrics`: every process's latest sample (Mongo `process_stats`, one
document per process, replaced every few seconds) and how late the relay is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase

PROCESS_STATS = "process_stats"
RECENT_RELAYED = 500


async def put_sample(db: AsyncDatabase, sample: dict[str, Any]) -> None:
    await db[PROCESS_STATS].replace_one({"_id": sample["_id"]}, sample, upsert=True)


async def samples_since(db: AsyncDatabase, since: datetime) -> list[dict[str, Any]]:
    return await db[PROCESS_STATS].find({"at": {"$gte": since}}).to_list(None)


async def drop_sample(db: AsyncDatabase, process_id: str) -> None:
    await db[PROCESS_STATS].delete_one({"_id": process_id})


async def event_log_lag_seconds(conn: asyncpg.Connection) -> float:
    """The slowest of the latest relayed events, from commit to the event log (walks the tail
    of the primary key; the outbox is never scanned)."""
    lag = await conn.fetchval(
        "SELECT max(extract(epoch FROM relayed_at - occurred_at)) FROM ("
        "  SELECT relayed_at, occurred_at FROM outbox WHERE relayed_at IS NOT NULL "
        "  ORDER BY position DESC LIMIT $1) AS recent",
        RECENT_RELAYED,
    )
    return max(0.0, float(lag or 0.0))
