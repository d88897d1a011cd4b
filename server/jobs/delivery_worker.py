"""The notification delivery worker: one loop per process, run as an aiojobs job.

Each pass (every `poll_seconds`, or at once when woken or when the last pass was full):
1. takes up email batches whose lease ran out (a crash) or whose retry is due;
2. claims due deliveries under a lease and plans each (server/domain/delivery_plan.py): hold it
   for the digest, quiet hours or the push grace, or send it now; a released digest or quiet
   item brings the user's other released items on that channel along, to go out together;
3. skips pushes whose notification was read in the app, then sends: emails as batches of up
   to 1,000 versions (one Brevo call each), pushes one unit per delivery or group.
Sends run as aiojobs jobs, at most `concurrency` at once. Nothing is lost to a crash: a claim
expires and is taken up again; a batch is re-sent whole under its idempotency key.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta
from typing import Any

import aiojobs
from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from server.domain.delivery_plan import GROUPED, plan
from server.domain.delivery_schedule import zone
from server.jobs.delivery_messages import email_version, grouped, push_units
from server.jobs.delivery_senders import Retry, Senders
from server.jobs.mail_transports import MAX_BATCH_VERSIONS
from server.jobs.wakeup import PolledLoop
from server.keys import (
    CLOCK,
    DELIVERY_WORKER,
    MAILER,
    MONGO_DB,
    PG_POOL,
    PUSH_TRANSPORT,
    SCHEDULER,
    SETTINGS,
)
from server.stores import (
    courses,
    delivery_queue,
    devices,
    email_batches,
    notification_preferences,
    presence,
)

log = logging.getLogger("classconnect.deliveries")

# Pushes one job sends one after another (one device lookup for them all); `concurrency` such
# jobs run at once, so at most that many pushes are in flight per process.
PUSHES_PER_JOB = 10


class DeliveryWorker(PolledLoop):
    def __init__(
        self,
        *,
        senders: Senders,
        scheduler: aiojobs.Scheduler,
        poll_seconds: float,
        claim_limit: int,
        concurrency: int,
        lease: timedelta,
        grace: timedelta,
        presence_window: timedelta,
        email_batch_size: int = MAX_BATCH_VERSIONS,
        prune_every: float = 3600.0,
    ) -> None:
        super().__init__(scheduler, name="notification delivery", poll_seconds=poll_seconds)
        self.s = senders
        self.db: AsyncDatabase = senders.db
        self.claim_limit = claim_limit
        self.lease = lease
        self.grace = grace
        self.presence_window = presence_window
        self.prune_every = prune_every
        self._next_prune = 0.0  # loop time; the first pass prunes
        self.email_batch_size = min(email_batch_size, MAX_BATCH_VERSIONS)
        self._slots = asyncio.Semaphore(concurrency)

    @staticmethod
    def new_worker_id() -> str:
        return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def _pass(self) -> bool:
        now = asyncio.get_running_loop().time()
        if now >= self._next_prune:
            self._next_prune = now + self.prune_every
            await self.prune_devices()
        return await self.run_once()

    async def prune_devices(self) -> int:
        async with self.s.pool.acquire() as conn:
            return await devices.drop_unseen_since(conn, self.s.clock.now() - self.s.token_ttl)

    async def run_once(self) -> bool:
        """One pass; True when it was full (more is probably due right now)."""
        now = self.s.clock.now()
        lease_until = now + self.lease
        jobs: list[aiojobs.Job[None]] = []
        batches = await email_batches.claim_due(
            self.db, now=now, lease_until=lease_until, worker=self.s.worker, limit=20
        )
        jobs += [await self._spawn(self.s.send_batch(b)) for b in batches]
        claimed = await delivery_queue.claim(
            self.db, now=now, lease_until=lease_until, worker=self.s.worker, limit=self.claim_limit
        )
        if claimed:
            jobs += await self._dispatch(claimed, now, lease_until)
        for job in jobs:
            await job.wait()
        return len(claimed) >= self.claim_limit or len(batches) >= 20

    async def _spawn(self, work: Awaitable[None]) -> aiojobs.Job[None]:
        async def bounded() -> None:
            async with self._slots:
                await work

        return await self.scheduler.spawn(bounded())

    async def _dispatch(
        self, claimed: list[dict[str, Any]], now: datetime, lease_until: datetime
    ) -> list[aiojobs.Job[None]]:
        users = {uuid.UUID(d["user_id"]) for d in claimed}
        prefs = await notification_preferences.load_many(self.db, users)
        online = await presence.online(
            self.db,
            {d["user_id"] for d in claimed if d["channel"] == "push"},
            since=now - self.presence_window,
        )
        holds: dict[tuple[datetime, str], list[str]] = defaultdict(list)
        ready: list[dict[str, Any]] = []
        for d in claimed:
            p = prefs[uuid.UUID(d["user_id"])]
            decision = plan(
                channel=d["channel"],
                mode=d["mode"],
                critical=d["critical"],
                hold=d.get("hold"),
                now=now,
                tz=zone(p.timezone),
                quiet=p.quiet_hours,
                online=d["user_id"] in online,
                grace=self.grace,
            )
            if decision.send:
                ready.append(d)
            else:
                assert decision.until is not None and decision.hold is not None
                holds[(decision.until, decision.hold)].append(d["_id"])
        for (until, hold), ids in holds.items():
            await delivery_queue.postpone(
                self.db, ids, worker=self.s.worker, now=now, until=until, hold=hold
            )
        ready += await self._siblings(ready, now, lease_until)
        ready = await self._skip_read(ready, now)
        jobs = [await self._spawn(self.s.send_batch(b)) for b in await self._batches(ready, now)]
        pushes = push_units(ready)
        for start in range(0, len(pushes), PUSHES_PER_JOB):
            part = pushes[start : start + PUSHES_PER_JOB]
            jobs.append(await self._spawn(self.s.send_pushes(part)))
        return jobs

    async def _siblings(
        self, ready: list[dict[str, Any]], now: datetime, lease_until: datetime
    ) -> list[dict[str, Any]]:
        """A released digest or quiet item goes out with the user's other released items of
        that hold and channel, though the claim's limit may have left them out."""
        held = [d for d in ready if d.get("hold") in GROUPED]
        groups = {(d["user_id"], d["channel"], d["hold"]) for d in held}
        more: list[dict[str, Any]] = []
        for user_id, channel, hold in groups:
            where = {"user_id": user_id, "channel": channel, "hold": hold}
            more += await delivery_queue.claim(
                self.db,
                now=now,
                lease_until=lease_until,
                worker=self.s.worker,
                limit=MAX_BATCH_VERSIONS,
                where=where,
            )
        return more

    async def _skip_read(self, ready: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
        pushes = [d for d in ready if d["channel"] == "push"]
        read = await delivery_queue.read_notifications(
            self.db, [d["notification_id"] for d in pushes]
        )
        skipped = {d["_id"] for d in pushes if d["notification_id"] in read}
        await delivery_queue.mark_skipped(
            self.db, sorted(skipped), worker=self.s.worker, now=now, reason="read_in_app"
        )
        return [d for d in ready if d["_id"] not in skipped]

    async def _batches(self, ready: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
        groups = grouped(ready, "email")
        titles = await self._course_titles([d for _, docs in groups for d in docs])
        no_address = [d["_id"] for _, docs in groups for d in docs if not d.get("email")]
        await delivery_queue.mark_skipped(
            self.db, no_address, worker=self.s.worker, now=now, reason="no_address"
        )
        versions = [
            email_version(kind, docs, titles) for kind, docs in groups if docs[0].get("email")
        ]
        solo: list[dict[str, Any]] = []
        shared: list[dict[str, Any]] = []
        for v in versions:
            (solo if v.pop("solo") else shared).append(v)
        size = self.email_batch_size
        chunks = [[v] for v in solo] + [shared[i : i + size] for i in range(0, len(shared), size)]
        batches = []
        lease_until = now + self.lease
        for chunk in chunks:
            ids = [i for v in chunk for i in v["ids"]]
            # One email of one delivery: its key is the delivery's id (what Brevo dedupes on).
            key = ids[0] if len(ids) == 1 else str(uuid.uuid4())
            tag = chunk[0].pop("tag")
            for v in chunk[1:]:
                v.pop("tag")
            await email_batches.create(
                self.db,
                batch_id=key,
                versions=chunk,
                tag=tag,
                worker=self.s.worker,
                lease_until=lease_until,
                now=now,
            )
            await delivery_queue.assign_batch(
                self.db, ids, worker=self.s.worker, batch=key, lease_until=lease_until
            )
            batches.append({"_id": key, "versions": chunk, "tag": tag, "attempts": 0})
        return batches

    async def _course_titles(self, docs: list[dict[str, Any]]) -> dict[str, str]:
        ids = set()
        for d in docs:
            try:
                ids.add(uuid.UUID(d.get("course_id") or ""))
            except ValueError:
                continue
        if not ids:
            return {}
        async with self.s.pool.acquire() as conn:
            rows = await courses.live_titles(conn, list(ids))
        return {str(r["id"]): r["title"] for r in rows}


async def deliveries_ctx(app: web.Application) -> AsyncIterator[None]:
    """After the mailer and the push transport (it sends through both), so it stops first."""
    settings = app[SETTINGS]
    senders = Senders(
        db=app[MONGO_DB],
        pool=app[PG_POOL],
        clock=app[CLOCK],
        mail=app[MAILER].transport,
        push=app[PUSH_TRANSPORT],
        retry=Retry(
            base=timedelta(seconds=settings.delivery_retry_base_seconds),
            cap=timedelta(seconds=settings.delivery_retry_cap_seconds),
            rand=random.random,
        ),
        worker=DeliveryWorker.new_worker_id(),
        send_timeout=settings.delivery_send_timeout_seconds,
        token_ttl=timedelta(days=settings.device_token_ttl_days),
    )
    worker = DeliveryWorker(
        senders=senders,
        scheduler=app[SCHEDULER],
        poll_seconds=settings.delivery_poll_seconds,
        claim_limit=settings.delivery_claim_limit,
        concurrency=settings.delivery_concurrency,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        grace=settings.push_grace,
        presence_window=settings.presence_window,
        email_batch_size=settings.delivery_email_batch_size,
    )
    log.info(
        "notification deliveries started",
        extra={"email_via": senders.mail.name, "push_via": senders.push.name},
    )
    await worker.start()
    app[DELIVERY_WORKER] = worker
    yield
    await worker.stop(grace_seconds=settings.shutdown_timeout_seconds / 3)


def wake_deliveries(app: web.Application) -> None:
    """The deliveries consumer just queued deliveries: claim them now, not at the next poll.
    That consumer runs once the inbox's live events are relayed (in-app first), so the claims
    do not contend with the relay's appends (docs/notifications-delivery.md, Workers)."""
    if (worker := app.get(DELIVERY_WORKER)) is not None:
        worker.wake()
