"""The durable consumers' loops: one aiojobs job per consumer in every process.

Each loop is woken when this process's relay commits a batch (`OUTBOX_RELAYED`) or, for one
that follows another (`Consumer.follows`), when that one's batch here has committed and the
events it recorded have been relayed. It polls as a fallback: another process may have relayed
or consumed, or a wake-up may arrive while the loop is busy. Only one process at a time works
on a consumer (its offset row is locked for the batch); the others find it busy, wait briefly
and look again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence

from aiohttp import web

from server.jobs.wakeup import wait_for_wakeup
from server.keys import CLOCK, CONSUMERS, OUTBOX_RELAYED, PG_POOL, SCHEDULER, SETTINGS
from server.services.consumers import BUSY, Consumer, ConsumerBatch, consume_batch, ensure_offset

log = logging.getLogger("classconnect.consumers")

ConsumerFactory = Callable[[web.Application], Consumer]

BUSY_RETRY_SECONDS = 0.2
# A batch that keeps failing (a provider outage, an event a handler can't take) is retried with
# doubling pauses up to this, so an hour-long outage doesn't log a traceback every poll.
MAX_RETRY_SECONDS = 60.0


async def run_consumer(
    app: web.Application,
    consumer: Consumer,
    wake: asyncio.Event,
    followers: Sequence[asyncio.Event] = (),
) -> None:
    poll = app[SETTINGS].consumer_poll_seconds
    relayed = app[OUTBOX_RELAYED]

    def wake_followers(batch: ConsumerBatch) -> None:
        for follower in followers:
            if batch.recorded:  # once its events are relayed: they go out first
                relayed.after_next(follower.set)
            else:
                follower.set()

    failures = 0
    while True:
        wake.clear()  # a relay batch committed while we work sets it again
        try:
            count = await consume_batch(
                pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer, committed=wake_followers
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            failures += 1
            pause = min(poll * 2 ** (failures - 1), MAX_RETRY_SECONDS)
            log.exception(
                "consumer batch failed; retrying",
                extra={"consumer": consumer.name, "failures": failures, "retry_in": pause},
            )
            await asyncio.sleep(pause)
            continue
        failures = 0
        if count >= consumer.batch_size:
            continue  # more are waiting
        await wait_for_wakeup(wake, BUSY_RETRY_SECONDS if count == BUSY else poll)


async def consumers_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start every registered consumer (after the pool, Mongo and the scheduler)."""
    consumers = [make(app) for make in app[CONSUMERS]]
    for consumer in consumers:
        await ensure_offset(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer)
    jobs = []
    if app[SETTINGS].consumers_enabled:
        # A consumer that follows another is woken by that one's batches, not by the relay
        # (by the relay after all when the one it names isn't registered here).
        names = {c.name for c in consumers}
        wakes = {
            c.name: asyncio.Event() if c.follows in names else app[OUTBOX_RELAYED].listener()
            for c in consumers
        }
        for consumer in consumers:
            followers = [wakes[c.name] for c in consumers if c.follows == consumer.name]
            loop = run_consumer(app, consumer, wakes[consumer.name], followers)
            jobs.append(await app[SCHEDULER].spawn(loop))
    yield
    for job in reversed(jobs):
        await job.close()
