"""Sending what the delivery worker planned: email batches through the mail transport (Brevo or
the outbox folder) and pushes through the push transport (FCM or the push-outbox folder), and
recording each outcome on the deliveries.

Email: every version of a batch goes in one `send_batch` call under the batch's idempotency
key. A 400 refuses the whole call, so a batch of several is split and each one sent alone
(`solo`), after which the bad address alone ends `dead`. Anything else is retried, the batch
whole, after a full-jitter backoff and never before Brevo's rate-limit window resets.

Push: one message per device. Devices reached are remembered so a retry only goes to the
others; dead tokens (UNREGISTERED, malformed) are deleted; a configuration error (wrong sender,
APNs/web-push credentials) makes the delivery `dead` at once and is logged once per burst.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.clock import Clock
from server.domain.delivery_schedule import retry_delay
from server.jobs.mail_transports import EmailVersion, MailTransport, PermanentFailure
from server.jobs.push_transports import PushMessage, PushTransport
from server.pg_pool import Pool
from server.stores import delivery_queue, devices, email_batches

log = logging.getLogger("classconnect.deliveries")


class BurstLog:
    """Logs the first of a burst of like errors, then at most once per `window` seconds with
    how many it held back: a misconfigured provider must not flood the log."""

    def __init__(self, window: float = 300.0) -> None:
        self.window = window
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def error(self, key: str, message: str, **extra: Any) -> bool:
        now = time.monotonic()  # log pacing only; domain time stays with the Clock
        if now - self._last.get(key, -self.window - 1) < self.window:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        self._last[key] = now
        log.error(message, extra={**extra, "suppressed": self._held.pop(key, 0)})
        return True


@dataclass
class Retry:
    base: timedelta
    cap: timedelta
    rand: Callable[[], float]

    def at(self, now: datetime, attempts: int, retry_after: float | None) -> datetime:
        return now + retry_delay(
            attempts, base=self.base, cap=self.cap, rand=self.rand(), retry_after=retry_after
        )


@dataclass
class PushUnit:
    """One push to all of a user's devices, for one delivery or a group of them."""

    user_id: uuid.UUID
    ids: tuple[str, ...]
    title: str
    body: str
    data: dict[str, str]
    attempts: int
    done: set[str] = field(default_factory=set)  # tokens already reached


@dataclass
class Senders:
    db: AsyncDatabase
    pool: Pool
    clock: Clock
    mail: MailTransport
    push: PushTransport
    retry: Retry
    worker: str
    send_timeout: float
    token_ttl: timedelta
    bursts: BurstLog = field(default_factory=BurstLog)
    sent: int = 0  # deliveries recorded sent by this process (tests, metrics)
    dead: int = 0

    # --- email ---

    async def send_batch(self, batch: dict[str, Any]) -> None:
        key = batch["_id"]
        pending = await email_batches.pending_members(self.db, batch)
        versions = [v for v in batch["versions"] if set(v["ids"]) & pending]
        ids = [i for v in versions for i in v["ids"] if i in pending]
        if not versions:
            await email_batches.finish(self.db, key)  # recorded before a crash: nothing left
            return
        try:
            async with asyncio.timeout(self.send_timeout):
                message_ids = await self.mail.send_batch(
                    [EmailVersion(v["to"], v["subject"], v["text"], v["html"]) for v in versions],
                    key=key,
                    tag=batch["tag"],
                )
        except PermanentFailure as exc:
            await self._refused(batch, versions, ids, exc)
            return
        except Exception as exc:
            now = self.clock.now()
            retry_at = self.retry.at(now, batch["attempts"] + 1, getattr(exc, "retry_after", None))
            error = f"{type(exc).__name__}: {exc}"
            await delivery_queue.mark_failed(
                self.db, ids, worker=None, now=now, error=error, retry_at=retry_at, keep_batch=True
            )
            await email_batches.retry_later(
                self.db, key, worker=self.worker, retry_at=retry_at, error=error
            )
            log.warning(
                "email batch failed; retrying",
                extra={
                    "batch": key,
                    "emails": len(versions),
                    "error": error[:300],
                    "retry_at": retry_at.isoformat(),
                },
            )
            return
        answers = {
            i: {"transport": self.mail.name, "batch": key, "message_id": mid}
            for v, mid in zip(versions, message_ids, strict=True)
            for i in v["ids"]
            if i in pending
        }
        # Not `self.sent += await ...`: that reads the count before the await, and two jobs
        # finishing together would lose one's.
        sent = await delivery_queue.mark_sent(self.db, answers, worker=None, now=self.clock.now())
        self.sent += sent
        await email_batches.finish(self.db, key)

    async def _refused(
        self, batch: dict[str, Any], versions: list[dict], ids: list[str], exc: Exception
    ) -> None:
        now = self.clock.now()
        error = f"{type(exc).__name__}: {exc}"
        if len(versions) > 1:  # which one is bad is not said: send each alone, at once
            await delivery_queue.mark_failed(
                self.db, ids, worker=None, now=now, error=error, retry_at=now, solo=True
            )
        else:
            dead = await delivery_queue.mark_failed(
                self.db, ids, worker=None, now=now, error=error, retry_at=None
            )
            self.dead += dead
            log.warning(
                "email refused by the provider: dead",
                extra={"deliveries": ids, "to": versions[0]["to"], "error": error[:500]},
            )
        await email_batches.finish(self.db, batch["_id"])

    # --- push ---

    async def send_pushes(self, units: Sequence[PushUnit]) -> None:
        """Look up everyone's devices at once, then send each unit to its devices."""
        now = self.clock.now()
        async with self.pool.acquire() as conn:
            tokens = await devices.tokens_of(
                conn, {u.user_id for u in units}, seen_since=now - self.token_ttl
            )
        no_device = [i for u in units if not tokens.get(u.user_id) for i in u.ids]
        await delivery_queue.mark_skipped(
            self.db, no_device, worker=self.worker, now=now, reason="no_device"
        )
        for unit in units:  # one at a time: the worker bounds how many such jobs run
            if tokens.get(unit.user_id):
                await self.send_push(unit, tokens[unit.user_id])

    async def send_push(self, unit: PushUnit, tokens: list[str]) -> None:
        targets = [t for t in tokens if t not in unit.done]
        messages = [
            PushMessage(token=t, title=unit.title, body=unit.body, data=unit.data, id=unit.ids[0])
            for t in targets
        ]
        try:
            async with asyncio.timeout(self.send_timeout):
                results = await self.push.send(messages)
        except Exception as exc:
            now = self.clock.now()
            retry_at = self.retry.at(now, unit.attempts + 1, None)
            error = f"{type(exc).__name__}: {exc}"
            await delivery_queue.mark_failed(
                self.db, unit.ids, worker=self.worker, now=now, error=error, retry_at=retry_at
            )
            return
        reached = [r for r in results if r.ok]
        dead_tokens = [r.token for r in results if r.unregistered]
        if dead_tokens:
            async with self.pool.acquire() as conn:
                await devices.forget(conn, dead_tokens)
        configuration = [r for r in results if r.configuration]
        for r in configuration:
            self.bursts.error(
                f"fcm:{(r.error or '').split(':')[0]}",
                "push configuration error: FCM refuses our sender or credentials; "
                "deliveries end dead until it is fixed",
                error=r.error,
            )
        retries = [r for r in results if r.retry]
        now = self.clock.now()
        if reached and retries:
            for delivery_id in unit.ids:
                await delivery_queue.record_devices(
                    self.db, delivery_id, worker=self.worker, done=[r.token for r in reached]
                )
        if retries:
            retry_after = max((r.retry_after or 0.0 for r in retries), default=0.0) or None
            await delivery_queue.mark_failed(
                self.db,
                unit.ids,
                worker=self.worker,
                now=now,
                error="; ".join(sorted({r.error or "" for r in retries}))[:2000],
                retry_at=self.retry.at(now, unit.attempts + 1, retry_after),
            )
        elif reached or unit.done:
            answer = {
                "transport": self.push.name,
                "devices": len(reached) + len(unit.done),
                "message_ids": [r.message_id for r in reached],
                "dropped_tokens": len(dead_tokens),
            }
            sent = await delivery_queue.mark_sent(
                self.db, dict.fromkeys(unit.ids, answer), worker=self.worker, now=now
            )
            self.sent += sent
        else:
            errors = "; ".join(sorted({r.error or "" for r in results}))
            dead = await delivery_queue.mark_failed(
                self.db, unit.ids, worker=self.worker, now=now, error=errors, retry_at=None
            )
            self.dead += dead
            if not configuration:
                log.warning(
                    "push undeliverable: dead",
                    extra={"deliveries": unit.ids, "error": errors[:500]},
                )
