"""The admins' dashboard figures (`GET /admin/metrics`) and the delivery log view.

Every process samples itself every few seconds into Mongo (`ProcessProbe.sample`); the
dashboard adds up the fresh samples of the other processes and this process's live figures.
"""

from __future__ import annotations

import os
import resource
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.admin_metrics import (
    Backlog,
    Deliveries,
    DeliveryPage,
    DeliveryQuery,
    LatencyWindow,
    MetricsRead,
    ProcessStats,
    merge,
    percentile_ms,
)
from server.domain.cursors import decode_cursor, encode_cursor
from server.pg_pool import Pool
from server.services.consumers import consumer_lags
from server.services.operations import queue_backlogs
from server.stores import admin_deliveries, admin_metrics


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # not Linux: the peak is the best we have
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class ProcessProbe:
    """This process: its request window, CPU since the previous sample, memory."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.window = LatencyWindow()
        self._cpu, self._wall = self._cpu_seconds(), time.monotonic()
        self._cpu_percent = 0.0

    @staticmethod
    def _cpu_seconds() -> float:
        times = os.times()
        return times.user + times.system

    def record(self, ms: float) -> None:
        self.window.add(time.monotonic(), ms)

    def sample(self, *, at: datetime, sockets: int) -> dict[str, Any]:
        cpu, wall = self._cpu_seconds(), time.monotonic()
        if wall - self._wall >= 0.5:  # a rate over a shorter span is mostly noise
            self._cpu_percent = round(100 * (cpu - self._cpu) / (wall - self._wall), 1)
            self._cpu, self._wall = cpu, wall
        histogram = self.window.histogram(time.monotonic())
        return {
            "_id": self.id,
            "host": self.host,
            "pid": self.pid,
            "at": at,
            "sockets": sockets,
            "histogram": histogram,
            "cpu_percent": self._cpu_percent,
            "rss_bytes": _rss_bytes(),
        }


def _stats(sample: dict[str, Any]) -> ProcessStats:
    return ProcessStats(
        id=sample["_id"],
        host=sample["host"],
        pid=sample["pid"],
        at=sample["at"],
        sockets=sample["sockets"],
        requests_per_minute=sum(sample["histogram"]),
        p95_latency_ms=percentile_ms(sample["histogram"], 0.95),
        cpu_percent=sample["cpu_percent"],
        rss_bytes=sample["rss_bytes"],
    )


async def metrics(
    *,
    pool: Pool,
    db: AsyncDatabase,
    now: datetime,
    probe: ProcessProbe,
    sockets: int,
    fresh_for: timedelta,
) -> MetricsRead:
    mine = probe.sample(at=now, sockets=sockets)
    others = [
        s for s in await admin_metrics.samples_since(db, now - fresh_for) if s["_id"] != probe.id
    ]
    samples = [mine, *others]
    histogram = merge([s["histogram"] for s in samples])
    backlogs = await queue_backlogs(pool=pool, now=now)
    async with pool.acquire() as conn:
        relay_lag = await admin_metrics.event_log_lag_seconds(conn)
    outcomes = await admin_deliveries.outcomes_since(db, now - timedelta(hours=1))
    lags = await consumer_lags(pool=pool)
    return MetricsRead(
        at=now,
        live_sockets=sum(s["sockets"] for s in samples),
        requests_per_minute=sum(histogram),
        p95_latency_ms=percentile_ms(histogram, 0.95),
        deliveries_last_hour=Deliveries(
            sent=outcomes.get("sent", 0), failed=outcomes.get("failed", 0) + outcomes.get("dead", 0)
        ),
        outbox=Backlog(
            pending=backlogs["outbox"].pending,
            oldest_age_seconds=backlogs["outbox"].oldest_age_seconds,
        ),
        event_log_lag_seconds=relay_lag,
        consumers={name: {"behind": lag} for name, lag in lags.items()},
        processes=[_stats(s) for s in samples],
    )


async def deliveries(*, db: AsyncDatabase, query: DeliveryQuery) -> DeliveryPage:
    after = None
    if query.cursor:
        at, last_id = decode_cursor(query.cursor, datetime, uuid.UUID)
        after = (at, str(last_id))  # delivery ids are uuid strings
    found = await admin_deliveries.page(
        db,
        user_id=str(query.user_id) if query.user_id else None,
        status=query.status,
        channel=query.channel,
        after=after,
        limit=query.limit + 1,
    )
    more, found = len(found) > query.limit, found[: query.limit]
    last = found[-1] if found else None
    return DeliveryPage(
        items=found,
        next_cursor=encode_cursor(last["created_at"].isoformat(), last["_id"]) if more else None,
    )
