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

Anything else takes Engine.IO's own path. Because every packet for a socket goes through this
one queue, the two lanes keep the socket's packet order. A directly written frame is never
compressed: RFC 7692 lets either side send uncompressed messages (RSV1 clear) on a connection
that negotiated permessage-deflate, and the compressor's context only moves on compressed ones.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterable
from typing import Any

import engineio
import socketio
from engineio import packet as eio_packet

HIGH_WATER = 64 * 1024  # bytes already buffered in the kernel's stead; asyncio's default mark

_TEXT, _BINARY = 0x81, 0x82  # FIN + opcode


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


class DirectQueue(asyncio.Queue):
    """Engine.IO's outgoing queue for one socket, with the direct lane described above."""

    def __init__(self) -> None:
        super().__init__()
        self.socket: Any = None  # the engineio AsyncSocket, once it is on a websocket
        self.transport: asyncio.WriteTransport | None = None
        self._writer_waiting = False
        self.direct_writes = 0

    def bind(self, socket: Any, transport: asyncio.WriteTransport) -> None:
        self.socket, self.transport = socket, transport

    async def get(self) -> Any:
        self._writer_waiting = True
        try:
            return await super().get()
        finally:
            self._writer_waiting = False

    def put_nowait(self, item: Any) -> None:
        # Only Socket.IO messages: Engine.IO's pings keep going through the writer task, whose
        # queue read times out (and closes the socket) after ping_interval + ping_timeout idle.
        if (
            item is not None
            and item.packet_type == eio_packet.MESSAGE
            and self._can_write_directly()
        ):
            try:
                self.transport.write(frame_of(item))  # type: ignore[union-attr]
                self.direct_writes += 1
                return
            except (ConnectionError, RuntimeError):
                pass  # the connection went away: let Engine.IO's path notice and close
        super().put_nowait(item)

    def put_many(self, items: Iterable[eio_packet.Packet]) -> None:
        """Several packets in order: written directly in as few writes as the lane allows
        (while the transport's buffer stays under HIGH_WATER), the rest queued."""
        items = list(items)
        done = 0
        while done < len(items) and self._can_write_directly():
            chunk, size = [], self.transport.get_write_buffer_size()  # type: ignore[union-attr]
            while done < len(items) and size < HIGH_WATER:
                if items[done].packet_type != eio_packet.MESSAGE:
                    break
                frame = frame_of(items[done])
                chunk.append(frame)
                size += len(frame)
                done += 1
            if not chunk:
                break
            try:
                self.transport.write(b"".join(chunk))  # type: ignore[union-attr]
            except (ConnectionError, RuntimeError):
                done -= len(chunk)  # let Engine.IO's path notice the connection is gone
                break
            self.direct_writes += len(chunk)
        for item in items[done:]:
            self.put_nowait(item)

    def _can_write_directly(self) -> bool:
        transport, socket = self.transport, self.socket
        return (
            transport is not None
            and self._writer_waiting
            and self.empty()
            and socket.upgraded
            and not (socket.closing or socket.closed)
            and not transport.is_closing()
            and transport.get_write_buffer_size() < HIGH_WATER
        )


class DirectEngineIOServer(engineio.AsyncServer):
    def create_queue(self, *args: Any, **kwargs: Any) -> asyncio.Queue:
        return DirectQueue()


class AsyncServer(socketio.AsyncServer):
    """python-socketio's server on an Engine.IO server whose sockets have the direct lane."""

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return DirectEngineIOServer
