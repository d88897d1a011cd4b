"""The background sender of the durable email queue (server/stores/mail_queue.py).

One loop per process, run as an aiojobs job: it wakes on `NOTIFY mail_queue` (a dedicated
LISTEN connection; Postgres sends it only when an enqueueing transaction commits) or every
`poll_seconds` as a fallback (a lost LISTEN connection, retries coming due, expired claims),
claims a batch of due emails under a lease, delivers each as its own aiojobs job and records the
outcome. A failed delivery is retried with exponential backoff, forever: an outage of the
provider delays mail but never loses it. A process that dies mid-delivery leaves claims that
expire, so another process (or this one after a restart) delivers those emails again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import timedelta

import aiojobs
import asyncpg

from server.domain import emails
from server.domain.clock import Clock
from server.jobs.mail_transports import MailTransport, OutgoingEmail, PermanentFailure
from server.jobs.wakeup import PolledLoop
from server.pg_pool import Pool
from server.stores import mail_queue
from server.stores.mail_queue import QueuedEmail

log = logging.getLogger("classconnect.mailer")


def backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """Delay before the next try after `attempts` failed ones: base, 2*base, 4*base ... cap."""
    return min(base * (2 ** max(0, min(attempts - 1, 30))), cap)


class Mailer(PolledLoop):
    def __init__(
        self,
        *,
        pool: Pool,
        dsn: str,
        clock: Clock,
        transport: MailTransport,
        scheduler: aiojobs.Scheduler,
        poll_seconds: float = 2.0,
        batch_size: int = 20,
        lease: timedelta = timedelta(minutes=5),
        send_timeout: float = 60.0,
        retry_base: timedelta = timedelta(seconds=30),
        retry_cap: timedelta = timedelta(hours=1),
        worker_id: str | None = None,
    ) -> None:
        if send_timeout >= lease.total_seconds():
            # A delivery still running when its lease ends could be sent again by another worker.
            raise ValueError("send_timeout must be shorter than the lease")
        super().__init__(scheduler, name="mail delivery", poll_seconds=poll_seconds)
        self.pool = pool
        self.dsn = dsn
        self.clock = clock
        self.transport = transport
        self.batch_size = batch_size
        self.lease = lease
        self.send_timeout = send_timeout
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.sent = 0
        self._listener: asyncpg.Connection | None = None

    async def start(self) -> None:
        await self._listen()
        await super().start()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let the pass in flight finish (up to `grace_seconds`), then close the listener.

        Claims of deliveries cut short stay leased and expire, so nothing is lost and nothing
        another worker might still be sending is handed out twice.
        """
        await super().stop(grace_seconds)
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()

    async def _listen(self) -> None:
        try:
            conn = await asyncpg.connect(self.dsn)
            await conn.add_listener(mail_queue.CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("mail LISTEN unavailable; polling only", extra={"error": repr(exc)})
            return
        self._listener = conn

    def _on_notify(self, conn: object, pid: int, channel: str, payload: str) -> None:
        self._wake.set()

    async def _pass(self) -> bool:
        return await self.run_once() >= self.batch_size  # a full batch: probably more due

    async def _idle(self) -> None:
        if self._listener is None or self._listener.is_closed():
            await self._listen()
        await super()._idle()

    async def run_once(self) -> int:
        """Claim one batch of due emails and deliver it; return how many were claimed."""
        async with self.pool.acquire() as conn, conn.transaction():
            batch = await mail_queue.claim_due(
                conn,
                now=self.clock.now(),
                lease=self.lease,
                worker=self.worker_id,
                limit=self.batch_size,
            )
        jobs = [await self.scheduler.spawn(self._deliver(email)) for email in batch]
        for job in jobs:
            await job.wait()
        return len(batch)

    async def _deliver(self, queued: QueuedEmail) -> None:
        error: str | None = None
        permanent = False
        provider_id: str | None = None
        try:
            rendered = emails.render(queued.template, queued.params)
            outgoing = OutgoingEmail(
                id=str(queued.id),
                seq=queued.seq,
                to=queued.to,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                template=queued.template,
                params=queued.params,
                created_at=queued.created_at,
            )
            async with asyncio.timeout(self.send_timeout):
                provider_id = await self.transport.send(outgoing)
        except (PermanentFailure, emails.UnknownTemplate, emails.MissingTemplateParams) as exc:
            error, permanent = f"{type(exc).__name__}: {exc}", True
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        now = self.clock.now()
        async with self.pool.acquire() as conn:
            if error is None:
                if await mail_queue.mark_sent(
                    conn,
                    email_id=queued.id,
                    worker=self.worker_id,
                    now=now,
                    provider_id=provider_id,
                ):
                    self.sent += 1
                return
            retry_at = None
            if not permanent:
                retry_at = now + backoff(queued.attempts, base=self.retry_base, cap=self.retry_cap)
            await mail_queue.mark_failed(
                conn,
                email_id=queued.id,
                worker=self.worker_id,
                now=now,
                error=error,
                retry_at=retry_at,
            )
        log.warning(
            "email delivery failed",
            extra={
                "email_id": str(queued.id),
                "template": queued.template,
                "attempts": queued.attempts,
                "transport": self.transport.name,
                "error": error,
                "retry_at": retry_at.isoformat() if retry_at else None,
            },
        )
