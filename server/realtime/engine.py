"""The Socket.IO server ClassConnect runs: python-socketio on an Engine.IO server whose sockets
have the direct lane (direct.py), are served by one task per websocket (lean_ws.py), and are
pinged from timers instead of a sleeping task each."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import engineio
import socketio
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket

from server.realtime.direct import DirectQueue
from server.realtime.lean_ws import LeanWebSocket


class DirectEngineIOServer(engineio.AsyncServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Our own copy: the driver table is shared by every Engine.IO server in the process.
        self._async = {**self._async, "websocket": LeanWebSocket}

    def create_queue(self, *args: Any, **kwargs: Any) -> DirectQueue:  # type: ignore[override]
        return DirectQueue()

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

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return DirectEngineIOServer
