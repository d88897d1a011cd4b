"""The periodic metrics job: event-loop lag, DB pool use, background jobs and queue backlogs
(outbox, mail queue, durable consumers, notification deliveries).

One aiojobs job per process. It wakes every LAG_TICK_SECONDS to measure how late the loop woke
it (the event-loop lag: a blocking call anywhere shows up here), and every
METRICS_INTERVAL_SECONDS reports the worst lag of the interval plus the gauges. With metrics
off (no DD_AGENT_HOST) it is not started at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from server import metrics as m
from server.keys import CLOCK, METRICS, MONGO_DB, PG_POOL, SCHEDULER, SETTINGS
from server.metrics import Metrics
from server.services.consumers import consumer_lags
from server.services.operations import delivery_backlogs, queue_backlogs

log = logging.getLogger("classconnect.metrics")

LAG_TICK_SECONDS = 0.25

Reporter = Callable[[web.Application, Metrics], Awaitable[None]]


class LagMeter:
    """Worst lateness of the loop's wake-ups since the last `take()`, in seconds."""

    def __init__(self) -> None:
        self.worst = 0.0

    def record(self, expected: float, woke: float) -> None:
        self.worst = max(self.worst, woke - expected)

    def take(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst


def report_pool(app: web.Application, metrics: Metrics) -> None:
    pool = app[PG_POOL]
    size, idle, most = pool.get_size(), pool.get_idle_size(), pool.get_max_size()
    metrics.gauge(m.DB_POOL_SIZE, size)
    metrics.gauge(m.DB_POOL_IN_USE, size - idle)
    metrics.gauge(m.DB_POOL_MAX, most)
    metrics.gauge(m.DB_POOL_SATURATION, (size - idle) / most)
    metrics.gauge(m.DB_POOL_WAITING, pool.get_waiting_count())
    scheduler = app[SCHEDULER]
    metrics.gauge(m.JOBS_ACTIVE, scheduler.active_count)
    metrics.gauge(m.JOBS_PENDING, scheduler.pending_count)


async def report_backlogs(app: web.Application, metrics: Metrics) -> None:
    backlogs = await queue_backlogs(pool=app[PG_POOL], now=app[CLOCK].now())
    outbox, mail = backlogs["outbox"], backlogs["mail"]
    metrics.gauge(m.OUTBOX_PENDING, outbox.pending)
    metrics.gauge(m.OUTBOX_LAG, outbox.oldest_age_seconds)
    metrics.gauge(m.MAIL_PENDING, mail.pending)
    metrics.gauge(m.MAIL_RETRYING, mail.retrying)
    metrics.gauge(m.MAIL_LAG, mail.oldest_age_seconds)
    for name, lag in (await consumer_lags(pool=app[PG_POOL])).items():
        metrics.gauge(m.CONSUMER_LAG, lag, tags=[f"consumer:{name}"])


async def report_delivery_backlogs(app: web.Application, metrics: Metrics) -> None:
    backlogs = await delivery_backlogs(db=app[MONGO_DB], now=app[CLOCK].now())
    for channel, backlog in backlogs.items():
        tags = [f"channel:{channel}"]
        metrics.gauge(m.DELIVERIES_PENDING, backlog.pending, tags=tags)
        metrics.gauge(m.DELIVERIES_LAG, backlog.oldest_due_age_seconds, tags=tags)
        for hold, count in backlog.held.items():
            metrics.gauge(m.DELIVERIES_HELD, count, tags=[*tags, f"hold:{hold}"])


async def sample_forever(app: web.Application, metrics: Metrics, interval: float) -> None:
    loop = asyncio.get_running_loop()
    tick = min(LAG_TICK_SECONDS, interval)
    meter = LagMeter()
    next_report = loop.time() + interval
    while True:
        expected = loop.time() + tick
        await asyncio.sleep(tick)
        meter.record(expected, loop.time())
        if loop.time() < next_report:
            continue
        next_report = loop.time() + interval
        metrics.gauge(m.EVENT_LOOP_LAG, round(meter.take() * 1000, 3))
        report_pool(app, metrics)


async def report_forever(
    app: web.Application, metrics: Metrics, interval: float, report: Reporter, what: str
) -> None:
    """One backlog report every interval, each in a loop of its own: a slow or hanging store
    delays only its own gauges, never the lag and pool gauges that would show it, nor the
    other store's."""
    while True:
        await asyncio.sleep(interval)
        try:
            await report(app, metrics)
        except Exception:
            log.warning("could not read the %s", what, exc_info=True)


async def metrics_sampler_ctx(app: web.Application) -> AsyncIterator[None]:
    metrics = app[METRICS]
    if not metrics.enabled:
        yield
        return
    interval = app[SETTINGS].metrics_interval_seconds
    jobs = [
        await app[SCHEDULER].spawn(sample_forever(app, metrics, interval)),
        await app[SCHEDULER].spawn(
            report_forever(app, metrics, interval, report_backlogs, "queue backlogs")
        ),
        await app[SCHEDULER].spawn(
            report_forever(
                app, metrics, interval, report_delivery_backlogs, "notification delivery backlogs"
            )
        ),
    ]
    yield
    for job in jobs:
        await job.close()
