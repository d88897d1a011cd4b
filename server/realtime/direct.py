"""A direct lane from the fan-out to each websocket, skipping Engine.IO's per-socket writer task.

Engine.IO queues every outgoing packet and a writer task per socket wakes to send it: at 50
events/s to 1,000 sockets that is 50,000 task wake-ups a second (each through `wait_for`, which
wraps the queue read in yet another task), and it dominated the realtime profile. Here the
socket's queue writes a packet straight to its TCP transport, already framed, whenever doing so
cannot reorder anything:

- the socket has been upgraded to a websocket (the 101 response is out),
- its writer task is idle, waiting on an empty queue (it holds no packet of its own),
- and the transport is not backed up (past `HIGH_WATER` bytes the packet is queued instead, the
  writer then waits for the peer to drain, and the hub's queue bound cuts a client that never
  does).

Anything else takes Engine.IO's own path (or, for sockets served by lean_ws.py, which have no
writer task, a flush task that lives only while packets wait). Because every packet for a socket
goes through this one queue, the two lanes keep the socket's packet order. A directly written
frame is never compressed: RFC 7692 lets either side send uncompressed messages (RSV1 clear) on a
connection that negotiated permessage-deflate, and the compressor's context only moves on
compressed ones.
"""

from __future__ import annotations

import asyncio
import struct
from collections import deque
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from engineio import packet as eio_packet
from socketio import packet as sio_packet

HIGH_WATER = 64 * 1024  # bytes already buffered in the kernel's stead; asyncio's default mark

_TEXT, _BINARY = 0x81, 0x82  # FIN + opcode


class FrozenPacket(eio_packet.Packet):
    """An Engine.IO packet encoded once and written to many sockets as is."""

    def __init__(self, encoded: str, source: Any = None) -> None:
        super().__init__(eio_packet.MESSAGE, encoded)
        self._wire = "4" + encoded
        self.source = source  # what was encoded (an envelope), for per-socket filters

    def encode(self, b64: bool = False) -> str:  # type: ignore[override]
        return self._wire

    @cached_property
    def frame(self) -> bytes:
        """The websocket frame, built once for every socket the direct lane writes it to."""
        return ws_frame(self._wire.encode())


def encode(event: str, data: Any, namespace: str = "/") -> FrozenPacket:
    pkt = sio_packet.Packet(sio_packet.EVENT, namespace=namespace, data=[event, data])
    return FrozenPacket(pkt.encode(), data)


def ws_frame(payload: bytes, first_byte: int = _TEXT) -> bytes:
    """One unmasked (server-to-client) websocket frame."""
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", first_byte, n) + payload
    if n < 65536:
        return struct.pack("!BBH", first_byte, 126, n) + payload
    return struct.pack("!BBQ", first_byte, 127, n) + payload


def frame_of(pkt: eio_packet.Packet) -> bytes:
    cached = getattr(pkt, "frame", None)
    if cached is not None:
        return cached
    encoded = pkt.encode()
    if isinstance(encoded, bytes):
        return ws_frame(encoded, _BINARY)
    return ws_frame(encoded.encode())


class DirectQueue:
    """Engine.IO's outgoing queue for one socket, with the direct lane described above.

    It offers what Engine.IO uses of an asyncio.Queue (put, put_nowait, get, get_nowait,
    task_done, join, qsize, empty) at a fraction of its size: an idle asyncio.Queue holds three
    deques and an Event (about 3 KB), this holds a deque only while packets wait. And `get()`
    returns a future, not a coroutine, so Engine.IO's `wait_for(queue.get(), ...)` does not
    start a task per wait on Python 3.11.
    """

    __slots__ = ("_flushing", "_getter", "_items", "_joined", "_unfinished", "direct_writes",
                 "socket", "transport", "ws")  # fmt: skip

    def __init__(self) -> None:
        self._items: deque[Any] | None = None
        self._getter: asyncio.Future[Any] | None = None  # the one consumer waiting, if any
        self._unfinished = 0  # queued or handed out, and not yet task_done()
        self._joined: list[asyncio.Future[None]] = []
        self.socket: Any = None  # the engineio AsyncSocket, once it is on a websocket
        self.transport: asyncio.WriteTransport | None = None
        self.ws: Any = None  # set when the socket is served by server.realtime.lean_ws
        self._flushing = False
        self.direct_writes = 0

    def bind(self, socket: Any, transport: asyncio.WriteTransport) -> None:
        self.socket, self.transport = socket, transport

    def serve_lean(self, socket: Any, transport: asyncio.WriteTransport, ws: Any) -> None:
        """No Engine.IO writer task from now on: what cannot go directly is written by a task
        that lives only while packets wait (lean_ws.py)."""
        self.bind(socket, transport)
        self.ws = ws
        if self._items:  # the OPEN packet, queued before the websocket existed
            self._start_flush()

    def _start_flush(self) -> None:
        self._flushing = True
        self.socket.server.start_background_task(self._flush)

    async def _flush(self) -> None:
        try:
            while self._items:
                item = self._items.popleft()
                self.task_done()
                if item is None:
                    await self.ws.close()
                    return
                encoded = item.encode()
                if isinstance(encoded, bytes):
                    await self.ws.send_bytes(encoded)  # waits while the peer is not reading
                else:
                    await self.ws.send_str(encoded)
        except Exception:  # the connection is gone; the reader sees it and closes the socket
            while self._items:
                self._items.popleft()
                self.task_done()
        finally:
            self._flushing = False

    # --- the asyncio.Queue interface Engine.IO uses ---

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def get(self) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        if self._items:
            future.set_result(self._items.popleft())
        else:
            self._getter = future
        return future

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def task_done(self) -> None:
        self._unfinished = max(0, self._unfinished - 1)
        if not self._unfinished:
            joined, self._joined = self._joined, []
            for future in joined:
                if not future.done():
                    future.set_result(None)

    async def join(self) -> None:
        if self._unfinished:
            future = asyncio.get_running_loop().create_future()
            self._joined.append(future)
            await future

    def _enqueue(self, item: Any) -> None:
        self._unfinished += 1
        getter, self._getter = self._getter, None
        if getter is not None and not getter.done():  # a cancelled wait is done() too
            getter.set_result(item)
            return
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        if self.ws is not None and not self._flushing:
            self._start_flush()

    # --- the direct lane ---

    def put_nowait(self, item: Any) -> None:
        self.put_many((item,))

    def put_many(self, items: Iterable[Any]) -> None:
        """Packets in order: written directly in as few writes as the lane allows (while the
        transport's buffer stays under HIGH_WATER); from the first that cannot, all queued."""
        items = list(items)
        done = 0
        while done < len(items) and self._can_write_directly():
            chunk, size = [], self.transport.get_write_buffer_size()  # type: ignore[union-attr]
            while done < len(items) and size < HIGH_WATER and self._may_go_direct(items[done]):
                frame = frame_of(items[done])
                chunk.append(frame)
                size += len(frame)
                done += 1
            if not chunk:
                break
            try:
                self.transport.write(b"".join(chunk))  # type: ignore[union-attr]
            except (ConnectionError, RuntimeError):
                done -= len(chunk)  # the connection went away: Engine.IO's path notices
                break
            self.direct_writes += len(chunk)
        for item in items[done:]:
            self._enqueue(item)

    def _may_go_direct(self, item: Any) -> bool:
        # None stops the writer. Under Engine.IO's writer only Socket.IO messages go direct: its
        # pings keep it awake, as its queue read closes the socket after ping_interval +
        # ping_timeout without a packet.
        return item is not None and (self.ws is not None or item.packet_type == eio_packet.MESSAGE)

    def _can_write_directly(self) -> bool:
        transport, socket = self.transport, self.socket
        getter = self._getter
        if self.ws is not None:  # lean: no writer; the flush task holds packets while it runs
            idle = not self._flushing
        else:  # Engine.IO's writer waits, so it holds no packet of its own
            idle = getter is not None and not getter.done()
        return (
            transport is not None
            and idle
            and not self._items
            and socket.upgraded
            and not (socket.closing or socket.closed)
            and not transport.is_closing()
            and transport.get_write_buffer_size() < HIGH_WATER
        )
