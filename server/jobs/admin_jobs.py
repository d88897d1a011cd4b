"""Administration's background loops, each an aiojobs job in every process:

- lift blocks whose `until` has come (claimed with SKIP LOCKED: each is lifted once);
- settle Mongo changes a process left staged when it died mid-change (admin_intents);
- sample this process (sockets, requests, CPU, memory) for GET /admin/metrics.

Time comes from the app clock, so tests move a ManualClock and the loops see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from server.keys import CLOCK, MONGO_DB, PG_POOL, PROCESS_PROBE, REALTIME_HUB, SCHEDULER, SETTINGS
from server.services.admin_intents import settle_stale
from server.services.admin_users import lift_expired_blocks
from server.stores import admin_metrics

log = logging.getLogger("classconnect.admin")

STALE_INTENT = timedelta(seconds=10)  # far longer than any change holds its lock


async def every(seconds: float, work: Callable[[], Awaitable[object]], what: str) -> None:
    while True:
        try:
            await work()
        except Exception:  # a sick store must not end the loop; the next tick retries
            log.warning("%s failed", what, exc_info=True)
        await asyncio.sleep(seconds)


async def sample(app: web.Application) -> None:
    hub = app.get(REALTIME_HUB)
    sockets = len(hub.clients) if hub is not None else 0
    doc = app[PROCESS_PROBE].sample(at=app[CLOCK].now(), sockets=sockets)
    await admin_metrics.put_sample(app[MONGO_DB], doc)


async def admin_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, scheduler = app[SETTINGS], app[SCHEDULER]
    pool, db, clock = app[PG_POOL], app[MONGO_DB], app[CLOCK]
    loops = [
        every(
            settings.admin_block_poll_seconds,
            lambda: lift_expired_blocks(pool=pool, clock=clock),
            "lifting expired blocks",
        ),
        every(
            settings.admin_settle_seconds,
            lambda: settle_stale(pool=pool, db=db, before=clock.now() - STALE_INTENT),
            "settling staged admin changes",
        ),
        every(settings.admin_sample_seconds, lambda: sample(app), "sampling the process"),
    ]
    jobs = [await scheduler.spawn(loop) for loop in loops]
    yield
    for job in jobs:
        await job.close()
    with contextlib.suppress(Exception):  # gone from the dashboard at once, not after 3 samples
        await admin_metrics.drop_sample(db, app[PROCESS_PROBE].id)
