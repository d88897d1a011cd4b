"""The lookup batcher behind connects and replays, without I/O."""

from __future__ import annotations

import asyncio

import pytest

from server.realtime.batching import Batcher


class Source:
    """Answers key -> key * 10 (odd keys unknown) after a gate opens; records each query."""

    def __init__(self) -> None:
        self.queries: list[list[int]] = []
        self.gate = asyncio.Event()
        self.fail = False

    async def read(self, keys: list[int]) -> dict[int, int]:
        self.queries.append(keys)
        await self.gate.wait()
        if self.fail:
            raise OSError("connection reset")
        return {k: k * 10 for k in keys if k % 2 == 0}


async def test_lookups_arriving_while_a_query_is_in_flight_share_the_next_one():
    source = Source()
    batcher = Batcher(source.read, missing=-1)
    lookups = [asyncio.create_task(batcher.get([k, 2])) for k in (4, 6, 3, 8)]
    await asyncio.sleep(0)
    source.gate.set()
    assert await asyncio.gather(*lookups) == [
        {4: 40, 2: 20},
        {6: 60, 2: 20},
        {3: -1, 2: 20},  # unknown keys get `missing`
        {8: 80, 2: 20},
    ]
    assert source.queries == [[2, 4], [2, 3, 6, 8]]  # the first goes out at once


async def test_a_lookup_never_joins_a_query_already_sent():
    source = Source()
    batcher = Batcher(source.read, missing=-1)
    first = asyncio.create_task(batcher.get_one(2))
    await asyncio.sleep(0)  # its query is in flight now
    later = [asyncio.create_task(batcher.get_one(k)) for k in (4, 8)]
    await asyncio.sleep(0)
    source.gate.set()
    assert (await first, *await asyncio.gather(*later)) == (20, 40, 80)
    assert source.queries == [[2], [4, 8]]  # read after they asked, together


async def test_a_failed_query_fails_every_lookup_in_its_batch_and_not_the_next():
    source = Source()
    batcher = Batcher(source.read, missing=-1)
    source.fail = True
    first = asyncio.create_task(batcher.get_one(2))
    await asyncio.sleep(0)  # in flight
    lookups = [asyncio.create_task(batcher.get_one(k)) for k in (4, 8)]
    await asyncio.sleep(0)
    source.gate.set()
    results = await asyncio.gather(first, *lookups, return_exceptions=True)
    assert [type(r) for r in results] == [OSError, OSError, ConnectionError]  # leader, follower
    source.fail = False
    assert await batcher.get_one(6) == 60


async def test_empty_lookup_costs_nothing_visible():
    source = Source()
    source.gate.set()
    batcher = Batcher(source.read, missing=-1)
    assert await batcher.get([]) == {}
    with pytest.raises(KeyError):
        (await batcher.get([2]))[4]
