"""What `GET /admin/metrics` reports, and the per-process request window behind its request
rate and p95. Pure: no I/O here.

Each process keeps the last minute of request latencies as per-second histograms over fixed
log-spaced buckets; histograms of several processes add up, so the p95 over every process is
exact to a bucket (about 20%), not an average of per-process p95s.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from server.domain.cursors import Cursor
from server.domain.deliveries import DeliveryChannel, DeliveryStatus
from server.domain.users import Strict

WINDOW_SECONDS = 60
_FIRST_MS = 0.1
_RATIO = 1.2
BUCKETS = 75  # upper bounds 0.1 ms * 1.2^i: the last one is past a minute


def bucket_of(ms: float) -> int:
    if ms <= _FIRST_MS:
        return 0
    return min(BUCKETS - 1, math.ceil(math.log(ms / _FIRST_MS, _RATIO)))


def bucket_bound(index: int) -> float:
    return _FIRST_MS * _RATIO**index


class LatencyWindow:
    """Request latencies of the last WINDOW_SECONDS, per second (`now` in seconds)."""

    def __init__(self) -> None:
        self._seconds = [-1] * WINDOW_SECONDS
        self._slots = [[0] * BUCKETS for _ in range(WINDOW_SECONDS)]

    def add(self, now: float, ms: float) -> None:
        second = int(now)
        slot = second % WINDOW_SECONDS
        if self._seconds[slot] != second:
            self._seconds[slot] = second
            self._slots[slot] = [0] * BUCKETS
        self._slots[slot][bucket_of(ms)] += 1

    def histogram(self, now: float) -> list[int]:
        """Counts per bucket over the window ending at `now`."""
        newest = int(now)
        total = [0] * BUCKETS
        for second, slot in zip(self._seconds, self._slots, strict=True):
            if newest - WINDOW_SECONDS < second <= newest:
                total = [a + b for a, b in zip(total, slot, strict=True)]
        return total


def merge(histograms: list[list[int]]) -> list[int]:
    total = [0] * BUCKETS
    for histogram in histograms:
        total = [a + b for a, b in zip(total, histogram, strict=False)]
    return total


def percentile_ms(histogram: list[int], fraction: float) -> float | None:
    """The bucket bound below which `fraction` of the requests fall; None without requests."""
    count = sum(histogram)
    if count == 0:
        return None
    rank = math.ceil(fraction * count)
    seen = 0
    for index, n in enumerate(histogram):
        seen += n
        if seen >= rank:
            return round(bucket_bound(index), 3)
    return round(bucket_bound(BUCKETS - 1), 3)


class ProcessStats(BaseModel):
    id: str
    host: str
    pid: int
    at: datetime
    sockets: int
    requests_per_minute: int
    p95_latency_ms: float | None
    cpu_percent: float = Field(description="Of one core, since the previous sample.")
    rss_bytes: int


class Deliveries(BaseModel):
    sent: int
    failed: int = Field(description="Failed attempts and dead deliveries.")


class Backlog(BaseModel):
    pending: int
    oldest_age_seconds: float


class MetricsRead(BaseModel):
    at: datetime
    live_sockets: int
    requests_per_minute: int
    p95_latency_ms: float | None
    deliveries_last_hour: Deliveries
    outbox: Backlog = Field(description="Events committed but not yet relayed to the event log.")
    event_log_lag_seconds: float = Field(
        description="The slowest of the latest relayed events, from commit to the event log."
    )
    consumers: dict[str, Any] = Field(
        default_factory=dict, description="Durable consumers: rows relayed but not yet consumed."
    )
    processes: list[ProcessStats]


class DeliveryQuery(Strict):
    user_id: uuid.UUID | None = None
    status: DeliveryStatus | None = None
    channel: DeliveryChannel | None = None
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=200)


class DeliveryPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None
