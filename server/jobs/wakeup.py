"""Waiting for a wake-up with a timeout, in a way that never swallows cancellation."""

from __future__ import annotations

import asyncio


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

    def listener(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.append(event)
        return event

    def notify(self) -> None:
        for event in self._events:
            event.set()
