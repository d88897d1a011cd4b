"""One query for many sockets: a reconnect storm asks the same questions thousands of times
within a second (who is this user, what are their courses, where does each stream end).

A lookup only joins a batch whose query has not been sent yet, so every answer was read after
its socket asked: a replay reads the log heads after its socket joined its rooms (see hub.py),
and a connect sees a block or an enrollment that committed before it. One query is in flight at
a time; the lookups that arrive meanwhile form the next batch, so a storm costs one query per
round trip instead of one per socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Batcher(Generic[K, V]):
    """`get(keys)` answers from `read(sorted keys of the batch)`; keys it leaves out get
    `missing`."""

    def __init__(self, read: Callable[[list[K]], Awaitable[dict[K, V]]], missing: V) -> None:
        self._read = read
        self._missing = missing
        self._lock = asyncio.Lock()
        self._open: _Batch[K, V] | None = None  # the batch still taking lookups

    async def get(self, keys: Iterable[K]) -> dict[K, V]:
        wanted = list(keys)
        batch = self._open
        if batch is not None:
            batch.keys.update(wanted)
            batch.followers += 1
            result = await batch.future
        else:
            batch = self._open = _Batch(set(wanted))
            result = await self._lead(batch)
        return {k: result.get(k, self._missing) for k in wanted}

    async def get_one(self, key: K) -> V:
        return (await self.get((key,)))[key]

    async def _lead(self, batch: _Batch[K, V]) -> dict[K, V]:
        try:
            async with self._lock:  # the previous batch's query is in flight meanwhile
                if self._open is batch:
                    self._open = None
                result = await self._read(sorted(batch.keys))  # type: ignore[type-var]
        except BaseException as exc:
            if batch.followers:  # nobody would retrieve it otherwise
                failure = ConnectionError(f"a batched lookup failed: {exc!r}")
                batch.future.set_exception(failure)
            raise
        batch.future.set_result(result)
        return result


class _Batch(Generic[K, V]):
    __slots__ = ("followers", "future", "keys")

    def __init__(self, keys: set[K]) -> None:
        self.keys = keys
        self.followers = 0
        self.future: asyncio.Future[dict[K, V]] = asyncio.get_running_loop().create_future()
