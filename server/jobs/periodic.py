"""A scan that every process repeats on an interval, as one aiojobs job."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable


async def every(
    interval: float, scan: Callable[[], Awaitable[object]], log: logging.Logger, what: str
) -> None:
    """Run `scan` now and then every `interval` seconds, for ever. A failure (a sick database)
    is logged and must not end the schedule: the next tick retries."""
    while True:
        try:
            await scan()
        except Exception:
            log.warning("%s failed", what, exc_info=True)
        await asyncio.sleep(interval)
