"""The most recent envelopes of the busiest streams, in memory with their encoded packets, so that
a reconnect storm (many sockets replaying the same course stream from nearly the same seq) reads
Mongo once per socket for the head and not for the envelopes, and encodes nothing again. Filled
from the live fan-out, which every process sees.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class RecentEnvelopes:
    """Bounded per stream, in streams, and in total. The total matters: an envelope costs
    about 2.7 KB here (its dict, the encoded packet, the wire text and the websocket frame), so
    2,000 streams of 256 would be 1.4 GB; a soak of 500 users (bench/soak) grew the process by
    6 MB a minute filling it with their own streams' events, and still by 43 MB over 8 minutes
    with 16,384 at most. 4,096 (about 11 MB) still holds 16 busy streams' last 256: what a
    reconnect storm replays."""

    def __init__(
        self, *, per_stream: int = 256, streams: int = 2000, envelopes: int = 4096
    ) -> None:
        self.per_stream = per_stream
        self.max_streams = streams
        self.max_envelopes = envelopes
        self._count = 0
        self._streams: OrderedDict[str, dict[int, tuple[dict[str, Any], Any]]] = OrderedDict()

    def add(self, envelope: dict[str, Any], packet: Any = None) -> None:
        stream = envelope["stream"]
        recent = self._streams.get(stream)
        if recent is None:
            recent = self._streams[stream] = {}
        else:
            self._streams.move_to_end(stream)
        if envelope["seq"] not in recent:
            self._count += 1
        recent[envelope["seq"]] = (envelope, packet)
        if len(recent) > self.per_stream:
            del recent[min(recent)]
            self._count -= 1
        # Least recently written streams go first; the one just written is the most recent.
        while len(self._streams) > 1 and (
            len(self._streams) > self.max_streams or self._count > self.max_envelopes
        ):
            self._count -= len(self._streams.popitem(last=False)[1])

    def between(
        self, stream: str, after: int, head: int
    ) -> list[tuple[dict[str, Any], Any]] | None:
        """(envelope, packet) for seqs after+1..head in order, or None unless all are here."""
        recent = self._streams.get(stream)
        if recent is None or head - after > len(recent):
            return None
        out = [recent.get(seq) for seq in range(after + 1, head + 1)]
        return None if any(e is None for e in out) else out  # type: ignore[return-value]
