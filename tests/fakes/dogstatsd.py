"""A DogStatsD agent stand-in: a UDP server on 127.0.0.1 that parses what the client sends.

The datagram format (https://docs.datadoghq.com/developers/dogstatsd/datagram_shell/): one or
more newline-separated lines `name:value|type[|@rate][|#tag,tag][|c:container][|T<ts>]...`,
where type is c (count), g (gauge), h (histogram), d (distribution), ms (timing) or s (set).
Events (`_e{...}`) and service checks (`_sc|...`) are kept raw.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

METRIC_TYPES = {"c", "g", "h", "d", "ms", "s"}


@dataclass(frozen=True)
class Sample:
    name: str
    value: float
    type: str
    tags: tuple[str, ...] = ()
    rate: float = 1.0

    def tag(self, key: str) -> str | None:
        """The value of the first `key:value` tag, or None."""
        prefix = key + ":"
        return next((t[len(prefix) :] for t in self.tags if t.startswith(prefix)), None)


def parse_line(line: str) -> Sample:
    """One metric line; raises ValueError when it is not valid DogStatsD."""
    head, *fields = line.split("|")
    name, sep, value = head.rpartition(":")
    if not sep or not name or not fields or fields[0] not in METRIC_TYPES:
        raise ValueError(f"not a DogStatsD metric: {line!r}")
    tags: tuple[str, ...] = ()
    rate = 1.0
    for extra in fields[1:]:
        if extra.startswith("#"):
            tags = tuple(t for t in extra[1:].split(",") if t)
        elif extra.startswith("@"):
            rate = float(extra[1:])
        # c: (container id), T (timestamp), e: (external data), card: are accepted and ignored
    return Sample(name=name, value=float(value), type=fields[0], tags=tags, rate=rate)


@dataclass
class FakeDogStatsd(asyncio.DatagramProtocol):
    host: str = "127.0.0.1"
    port: int = 0
    samples: list[Sample] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # events, service checks
    malformed: list[str] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def datagram_received(self, data: bytes, addr: object) -> None:
        for line in data.decode().split("\n"):
            if not line:
                continue
            if line.startswith(("_e{", "_sc|")):
                self.other.append(line)
                continue
            try:
                self.samples.append(parse_line(line))
            except ValueError:
                self.malformed.append(line)
        self._arrived.set()

    def named(self, name: str) -> list[Sample]:
        return [s for s in self.samples if s.name == name]

    async def wait_for(
        self, predicate: Callable[[Sample], bool], *, count: int = 1, within: float = 5.0
    ) -> list[Sample]:
        """Every sample so far that matches, once at least `count` have arrived."""
        async with asyncio.timeout(within):
            while True:
                found = [s for s in self.samples if predicate(s)]
                if len(found) >= count:
                    return found
                self._arrived.clear()
                await self._arrived.wait()


@pytest.fixture
async def fake_dogstatsd() -> AsyncIterator[FakeDogStatsd]:
    loop = asyncio.get_running_loop()
    transport, agent = await loop.create_datagram_endpoint(
        FakeDogStatsd, local_addr=("127.0.0.1", 0)
    )
    agent.port = transport.get_extra_info("sockname")[1]
    yield agent
    transport.close()
