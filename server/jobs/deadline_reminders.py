"""The periodic deadline-reminder scan, one aiojobs job per process.

Every process may run it: the schedule lives in Postgres and reminders are claimed with
SKIP LOCKED, so each fires once. Time comes from the app clock, so tests move a ManualClock
and call `run_due_reminders(app)` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from server.domain.context import SYSTEM
from server.keys import CLOCK, PG_POOL, SCHEDULER, SETTINGS
from server.services.reminders import BATCH, send_due_reminders

log = logging.getLogger("classconnect.reminders")


async def run_due_reminders(app: web.Application) -> int:
    """Send everything due now (batch after batch); returns the events recorded."""
    total = 0
    while True:
        claimed, sent = await send_due_reminders(
            pool=app[PG_POOL], clock=app[CLOCK], context=SYSTEM
        )
        total += sent
        if claimed < BATCH:  # a short batch: nothing more is waiting
            return total


async def scan_forever(app: web.Application, interval: float) -> None:
    while True:
        try:
            await run_due_reminders(app)
        except Exception:  # a sick database must not end the schedule; next tick retries
            log.warning("deadline reminder scan failed", exc_info=True)
        await asyncio.sleep(interval)


async def deadline_reminders_ctx(app: web.Application) -> AsyncIterator[None]:
    job = await app[SCHEDULER].spawn(scan_forever(app, app[SETTINGS].reminder_poll_seconds))
    yield
    await job.close()
