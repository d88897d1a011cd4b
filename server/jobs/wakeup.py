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
