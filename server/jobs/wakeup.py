"""Waiting for a wake-up with a timeout, in a way that never swallows cancellation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiojobs

log = logging.getLogger("classconnect.jobs")


async def wait_for_wakeup(event: asyncio.Event, seconds: float) -> bool:
    """True when `event` was set within `seconds`, False on timeout.

    Not `asyncio.wait_for`: on Python 3.11 it can return the event's result and drop a
    cancellation that arrives at the same moment, leaving a background loop running forever
    after its job was closed (seen as aiojobs close timeouts at shutdown). `asyncio.timeout`
    does not have that race.
    """
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


class Broadcast:
    """One signal, many waiters: each loop takes its own event, `notify` sets them all.

    The relay notifies after each batch it commits, waking this process's durable consumers
    at once instead of at their next poll.
    """

    def __init__(self) -> None:
        self._events: list[asyncio.Event] = []
        # A set: a relay that never runs here (another process holds it) can't make it grow.
        self._once: set[Callable[[], None]] = set()

    def listener(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.append(event)
        return event

    def after_next(self, callback: Callable[[], None]) -> None:
        """Call `callback` once, at the next `notify`."""
        self._once.add(callback)

    def notify(self) -> None:
        for event in self._events:
            event.set()
        once, self._once = self._once, set()
        for callback in once:
            callback()


class PolledLoop:
    """A background loop run as one aiojobs job: a pass (the subclass's `_pass`), then, unless
    the pass said more is due right now, a wait until `wake()` or `poll_seconds`. `stop` lets
    the pass in flight finish; work it cuts short must be safe to redo (leases that expire)."""

    def __init__(self, scheduler: aiojobs.Scheduler, *, name: str, poll_seconds: float) -> None:
        self.scheduler = scheduler
        self.name = name
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_job: aiojobs.Job[None] | None = None

    async def _pass(self) -> bool:
        """One pass; True when more is probably due at once."""
        raise NotImplementedError

    async def _idle(self) -> None:
        await wait_for_wakeup(self._wake, self.poll_seconds)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before the pass: a wake-up during it triggers another pass
            try:
                busy = await self._pass()
            except Exception:
                log.exception("background pass failed", extra={"loop": self.name})
                busy = False
            if self._stopping:
                break
            if not busy:
                await self._idle()

    async def start(self) -> None:
        self._stopping = False
        self._loop_job = await self.scheduler.spawn(self._run())

    async def stop(self, grace_seconds: float = 10.0) -> None:
        self._stopping = True
        self._wake.set()
        if self._loop_job is not None:
            try:
                await self._loop_job.wait(timeout=grace_seconds)
            except TimeoutError:  # aiojobs has cancelled the pass
                log.warning("background pass cut short at shutdown", extra={"loop": self.name})

    def wake(self) -> None:
        self._wake.set()
