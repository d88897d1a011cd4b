"""Engine.IO's websocket transport with one task per connection.

For every idle socket Engine.IO's own handler keeps a reader task (one per message), a writer
task and, on Python 3.11, a task for the writer's queue wait: most of the memory an idle
connection costs beyond aiohttp's. A socket that connects straight over websocket (what the
mobile app and our clients do) is served here instead: the connection's own request task reads,
packets are written by the direct lane, and a flush task exists only while packets wait (see
direct.py). A socket that starts on long-polling and upgrades keeps Engine.IO's handler.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import WSMsgType, web
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp

from server.realtime.direct import DirectQueue

log = logging.getLogger("classconnect.realtime")


def malformed(eio_sid: str, reason: str, size: int) -> None:
    """The one line a connection that sent a malformed packet gets before it is closed."""
    log.warning(
        "malformed packet; connection closed",
        extra={"eio_sid": eio_sid, "reason": reason, "size": size},
    )


class LeanWebSocket(eio_aiohttp.WebSocket):
    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        socket = self.handler.__self__  # the Engine.IO socket whose handler we stand in for
        queue = socket.queue
        if socket.connected or not isinstance(queue, DirectQueue):  # an upgrade from polling
            # Engine.IO found this socket by its sid: the websocket's transport is now the one
            # to cut (engine.transport_of). It lives and dies with the socket.
            socket.ws_transport = environ["aiohttp.request"].transport
            return await super().__call__(environ)
        request = environ["aiohttp.request"]
        self._sock = ws = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size)
        await ws.prepare(request)
        self.environ = environ
        await serve(socket, queue, ws, request.transport)
        return ws


async def serve(socket: Any, queue: DirectQueue, ws: web.WebSocketResponse, transport) -> None:
    """What Engine.IO's `_websocket_handler` does for a new websocket, in this one task."""
    server = socket.server
    socket.connected = socket.upgraded = True
    queue.serve_lean(socket, transport, ws)
    timeout = server.ping_interval + server.ping_timeout
    try:
        while True:
            try:
                msg = await ws.receive(timeout=timeout)
            except TimeoutError:
                break
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break  # closed by the client, or the connection is gone
            if len(msg.data) > server.max_http_buffer_size:
                break
            try:
                pkt = eio_packet.Packet(encoded_packet=msg.data)
            except Exception as exc:  # not Engine.IO at all
                malformed(socket.sid, type(exc).__name__, len(msg.data))
                break
            try:
                await socket.receive(pkt)
            except eio_exceptions.UnknownPacketError:
                pass
            except eio_exceptions.SocketIsClosedError:
                break
            except Exception:  # once, then the connection goes: never a traceback per frame
                server.logger.exception("Unknown receive error")
                break
            if socket.closed:
                break
    finally:  # also when the request task is cancelled (shutdown): the socket still closes
        await ws.close()
        await socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
