"""The weekly at-risk digest scan, one aiojobs job per process.

Every process may run it: each course's digest is claimed in Postgres in the transaction that
records it, so it is recorded once per week however many processes scan. Time comes from the
app clock, so tests move a ManualClock and call `run_at_risk_digests(app)`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import partial

from aiohttp import web

from server.jobs.periodic import every
from server.keys import CLOCK, PG_POOL, SCHEDULER, SETTINGS
from server.services.at_risk import DIGEST_BATCH, courses_owing_digest, send_digest

log = logging.getLogger("classconnect.at_risk")


async def run_at_risk_digests(app: web.Application) -> int:
    """Every course owing this week's digest gets it; returns the events recorded. A course
    that fails is logged and left for the next scan, without holding up the others."""
    pool, clock = app[PG_POOL], app[CLOCK]
    recorded, after = 0, None
    while True:
        week, due = await courses_owing_digest(pool=pool, clock=clock, after=after)
        for course_id in due:
            after = course_id
            try:
                recorded += await send_digest(
                    pool=pool, clock=clock, course_id=course_id, week=week
                )
            except Exception:
                log.warning(
                    "at-risk digest failed", extra={"course_id": str(course_id)}, exc_info=True
                )
        if len(due) < DIGEST_BATCH:
            return recorded


async def at_risk_digest_ctx(app: web.Application) -> AsyncIterator[None]:
    interval = app[SETTINGS].at_risk_digest_poll_seconds
    job = await app[SCHEDULER].spawn(
        every(interval, partial(run_at_risk_digests, app), log, "at-risk digest scan")
    )
    yield
    await job.close()
