"""One log-head query for many sockets: a reconnect storm asks for the heads of the same few
streams thousands of times within a second.

Every replay must read the heads *after* its socket joined its rooms (see hub.py), so a request
only joins a batch whose query has not been sent yet. One query is in flight at a time; the
requests that arrive meanwhile form the next batch, so a storm costs one query per round trip
instead of one per socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable


class HeadsBatcher:
    def __init__(self, read: Callable[[list[str]], Awaitable[dict[str, int]]]) -> None:
        self._read = read
        self._lock = asyncio.Lock()
        self._open: _Batch | None = None  # the batch still taking requests

    async def heads(self, streams: Iterable[str]) -> dict[str, int]:
        wanted = list(streams)
        batch = self._open
        if batch is not None:
            batch.streams.update(wanted)
            batch.followers += 1
            result = await batch.future
        else:
            batch = self._open = _Batch(set(wanted))
            result = await self._lead(batch)
        return {s: result[s] for s in wanted}

    async def _lead(self, batch: _Batch) -> dict[str, int]:
        try:
            async with self._lock:  # the previous batch's query is in flight meanwhile
                if self._open is batch:
                    self._open = None
                result = await self._read(sorted(batch.streams))
        except BaseException as exc:
            if batch.followers:  # nobody would retrieve it otherwise
                failure = ConnectionError(f"reading the log heads failed: {exc!r}")
                batch.future.set_exception(failure)
            raise
        batch.future.set_result(result)
        return result


class _Batch:
    __slots__ = ("followers", "future", "streams")

    def __init__(self, streams: set[str]) -> None:
        self.streams = streams
        self.followers = 0
        self.future: asyncio.Future[dict[str, int]] = asyncio.get_running_loop().create_future()
