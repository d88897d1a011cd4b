"""The Socket.IO server ClassConnect runs: python-socketio on an Engine.IO server whose sockets
have the direct lane (direct.py), are served by one task per websocket (lean_ws.py), and are
pinged from timers instead of a sleeping task each.

What a client sends is held to what our clients send: a packet that does not decode, or that no
client of ours sends (binary attachments, CONNECT_ERROR, unknown types), is logged once and ends
the connection, instead of a traceback per frame; and a connection that has not authenticated
within `connect_timeout` is closed, so nothing is kept for a client that never does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

import engineio
import socketio
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket
from socketio import packet as sio_packet

from server.realtime.direct import DirectQueue
from server.realtime.lean_ws import LeanWebSocket, malformed

log = logging.getLogger("classconnect.realtime")


class MalformedPacket(ValueError):
    """A client packet we refuse to handle; the connection that sent it is closed."""


class CheckedPacket(sio_packet.Packet):
    """Socket.IO's packet, refusing on decode whatever our handlers are not meant to see."""

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = super().decode(encoded_packet)
        except Exception as exc:  # RecursionError (deep nesting), ValueError, TypeError...
            raise MalformedPacket(type(exc).__name__) from None
        kind, data = self.packet_type, self.data
        if kind == sio_packet.EVENT:
            ok = isinstance(data, list) and bool(data) and isinstance(data[0], str)
        elif kind == sio_packet.CONNECT:
            ok = data is None or isinstance(data, dict)
        elif kind == sio_packet.ACK:
            ok = isinstance(data, list)
        else:  # no client event of ours carries binary attachments
            ok = kind == sio_packet.DISCONNECT
        if not ok or attachments:
            raise MalformedPacket(f"packet type {kind!r}")
        return attachments


def transport_of(sio: socketio.AsyncServer, eio_sid: str) -> asyncio.BaseTransport | None:
    """The TCP transport of the socket's websocket (or of its first request)."""
    transport = getattr(sio.eio.sockets.get(eio_sid), "ws_transport", None)  # lean_ws.py
    if transport is None or transport.is_closing():
        request = (sio.environ.get(eio_sid) or {}).get("aiohttp.request")
        transport = request.transport if request is not None else None
    return transport


class DirectEngineIOServer(engineio.AsyncServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Our own copy: the driver table is shared by every Engine.IO server in the process.
        self._async = {**self._async, "websocket": LeanWebSocket}

    def create_queue(self, *args: Any, **kwargs: Any) -> DirectQueue:  # type: ignore[override]
        return DirectQueue()

    async def disconnect(self, sid: str | None = None) -> None:
        """Engine.IO closes a socket and then waits for its queue to drain. A long-polling
        client that is not polling never drains it, so the request that caused the close (an
        oversized or unknown packet POSTed) hung for ever; the CLOSE packet is queued all the
        same, for the client's next poll."""
        if sid is None:
            return await super().disconnect()
        socket = self.sockets.get(sid)
        if socket is not None:
            await socket.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
            self.sockets.pop(sid, None)
        return None

    def start_background_task(self, target: Any, *args: Any, **kwargs: Any) -> Any:
        # Engine.IO keeps one task per socket asleep until its next ping; a timer does the same
        # for a fraction of the memory.
        if getattr(target, "__func__", None) is AsyncSocket._send_ping:
            asyncio.get_running_loop().call_later(self.ping_interval, _send_ping, target.__self__)
            return None
        return super().start_background_task(target, *args, **kwargs)


def _send_ping(socket: AsyncSocket) -> None:
    """What AsyncSocket._send_ping does once its sleep is over."""
    if not socket.closing and not socket.closed:
        socket.last_ping = time.time()
        socket.queue.put_nowait(eio_packet.Packet(eio_packet.PING))


class AsyncServer(socketio.AsyncServer):
    """python-socketio's server on an Engine.IO server whose sockets have the direct lane."""

    def __init__(self, *args: Any, connect_timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, serializer=CheckedPacket, **kwargs)
        self.connect_timeout = connect_timeout
        # (deadline, eio_sid) in connection order, for `close_unauthenticated`: a timer per
        # connection would cost about 0.6 KB on uvloop, a tuple here 64 bytes.
        self._deadlines: deque[tuple[float, str]] = deque()
        self._deadline_added = asyncio.Event()

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return DirectEngineIOServer

    async def _handle_eio_connect(self, eio_sid: str, environ: dict) -> None:
        await super()._handle_eio_connect(eio_sid, environ)
        deadline = asyncio.get_running_loop().time() + self.connect_timeout
        self._deadlines.append((deadline, eio_sid))
        self._deadline_added.set()

    async def close_unauthenticated(self) -> None:
        """Close each connection that has no namespace `connect_timeout` after it opened.
        Runs for the app's life as an aiojobs job (setup.py)."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._deadlines:
                self._deadline_added.clear()
                await self._deadline_added.wait()
                continue
            deadline, eio_sid = self._deadlines[0]
            if (delay := deadline - loop.time()) > 0:
                await asyncio.sleep(delay)
                continue
            self._deadlines.popleft()
            if eio_sid in self.eio.sockets and not self._in_a_namespace(eio_sid):
                try:
                    await self.close_connection(eio_sid)
                except Exception:  # the connection went away meanwhile; keep checking others
                    log.debug("closing an unauthenticated connection failed", exc_info=True)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        sock = self.eio.sockets.get(eio_sid)
        await super()._handle_eio_disconnect(eio_sid, reason)
        if sock is not None and not sock.upgraded:
            # A long-polling client's pending GET waits for a packet until ping interval +
            # ping timeout (45 s); Engine.IO doesn't end it when the socket closes, so that
            # request (and a client waiting for it, as python-socketio's does) would hang.
            sock.queue.put_nowait(eio_packet.Packet(eio_packet.NOOP))

    def _in_a_namespace(self, eio_sid: str) -> bool:
        """Connected to a namespace, or authenticating right now."""
        manager = self.manager
        return any(manager.sid_from_eio_sid(eio_sid, ns) for ns in list(manager.get_namespaces()))

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        sock = self.eio.sockets.get(eio_sid)
        if sock is None or sock.closing or sock.closed:
            return  # frames still buffered behind the one that closed the connection
        try:
            if not isinstance(data, str):
                raise MalformedPacket("binary message")
            await super()._handle_eio_message(eio_sid, data)
        except MalformedPacket as exc:
            malformed(eio_sid, str(exc), len(data))
            await self.close_connection(eio_sid)

    async def close_connection(self, eio_sid: str) -> None:
        """Close the Engine.IO connection (its namespaces disconnect) and cut its TCP
        connection, without waiting for a client that may not be reading."""
        transport = transport_of(self, eio_sid)
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None:
            await sock.close(wait=False, abort=True, reason=self.reason.SERVER_DISCONNECT)
            self.eio.sockets.pop(eio_sid, None)
        if transport is not None:
            transport.abort()
