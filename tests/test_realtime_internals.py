"""The private parts of python-engineio and python-socketio that server/realtime builds on.

engine.py, lean_ws.py, direct.py, room_index.py and managers.py replace or reuse internals of the
two libraries (both pinned in pyproject.toml for that reason). Each test here states one internal
and fails with a message naming it, so an upgrade that moves it is caught here, by name, instead
of as live events that silently stop arriving.
"""

from __future__ import annotations

import ast
import inspect
import re
import tomllib
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import engineio
import pytest
import socketio
from engineio import async_socket, base_socket
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from engineio.async_socket import AsyncSocket
from socketio import async_pubsub_manager, async_redis_manager, base_manager, base_server
from socketio import packet as sio_packet

from server.realtime.direct import DirectQueue, FrozenPacket
from server.realtime.engine import AsyncServer, DirectEngineIOServer
from server.realtime.lean_ws import LeanWebSocket
from server.realtime.managers import RedisFanoutManager

ROOT = Path(__file__).parent.parent
LIBS = f"python-engineio {version('python-engineio')}, python-socketio {version('python-socketio')}"


def require(condition: object, internal: str, relied_on_by: str) -> None:
    if not condition:
        pytest.fail(
            f"{LIBS}: the internal `{internal}` changed or is gone; {relied_on_by} relies on it. "
            "Re-read that module against the new library source before moving the pin.",
            pytrace=False,
        )


def source(obj: object) -> str:
    return inspect.getsource(obj)  # type: ignore[arg-type]


def params(func: Callable) -> list[str]:
    return list(inspect.signature(func).parameters)


def test_installed_versions_are_the_pinned_ones():
    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for name in ("python-engineio", "python-socketio"):
        [spec] = [d for d in pinned if re.match(rf"{name}\b", d)]
        assert spec == f"{name}=={version(name)}", (
            f"{name} {version(name)} is installed but pyproject.toml says {spec!r}: "
            "run `make lock` and this module's tests before moving the pin"
        )


# --- engine.py ---


def test_engineio_server_driver_table():
    server = engineio.AsyncServer(async_mode="aiohttp")
    require(
        isinstance(getattr(server, "_async", None), dict)
        and server._async.get("websocket") is eio_aiohttp.WebSocket,
        "engineio.AsyncServer._async['websocket']",
        "engine.py (swaps in LeanWebSocket)",
    )
    ours = DirectEngineIOServer(async_mode="aiohttp")
    require(ours._async["websocket"] is LeanWebSocket, "engineio.AsyncServer._async", "engine.py")
    require(server._async["websocket"] is eio_aiohttp.WebSocket, "_async copy", "engine.py")


def test_sockets_take_their_queue_from_create_queue():
    require(
        "self.server.create_queue()" in source(base_socket.BaseSocket.__init__),
        "BaseSocket.__init__ -> server.create_queue()",
        "engine.py (gives every socket a DirectQueue)",
    )


def test_pings_are_scheduled_as_a_background_task_of_send_ping():
    require(
        inspect.iscoroutinefunction(getattr(AsyncSocket, "_send_ping", None))
        and "start_background_task(self._send_ping)" in source(AsyncSocket.schedule_ping),
        "AsyncSocket._send_ping (started by schedule_ping via start_background_task)",
        "engine.py (runs it from a timer instead of a sleeping task)",
    )
    body = source(AsyncSocket._send_ping)
    for step in ("asyncio.sleep(self.server.ping_interval)", "not self.closing and not self.closed",
                 "self.last_ping = time.time()", "packet.Packet(packet.PING)"):  # fmt: skip
        require(step in body, f"AsyncSocket._send_ping: {step}", "engine.py's _send_ping copy")


def test_socketio_builds_its_engineio_server_through_a_factory_method():
    require(
        "self._engineio_server_class()(" in source(base_server.BaseServer.__init__),
        "socketio.AsyncServer._engineio_server_class",
        "engine.py (AsyncServer returns DirectEngineIOServer)",
    )
    require(isinstance(AsyncServer().eio, DirectEngineIOServer), "_engineio_server_class", "engine")


# --- lean_ws.py ---


def test_websocket_driver_is_built_with_the_sockets_bound_handler():
    require(
        "self.server._async['websocket'](\n            self._websocket_handler, self.server)"
        in source(AsyncSocket._upgrade_websocket),
        "AsyncSocket._upgrade_websocket -> _async['websocket'](self._websocket_handler, server)",
        "lean_ws.py (finds the socket as handler.__self__)",
    )
    require(
        params(eio_aiohttp.WebSocket.__init__) == ["self", "handler", "server"]
        and params(eio_aiohttp.WebSocket.__call__) == ["self", "environ"]
        and "self._sock = None" in source(eio_aiohttp.WebSocket.__init__),
        "engineio.async_drivers.aiohttp.WebSocket(handler, server) and its _sock",
        "lean_ws.py",
    )


def test_socket_state_and_calls_the_lean_handler_uses():
    init = source(base_socket.BaseSocket.__init__)
    for attr in ("connected", "upgraded", "closing", "closed", "last_ping", "server"):
        require(f"self.{attr} =" in init, f"BaseSocket.{attr}", "lean_ws.py and direct.py")
    require(params(AsyncSocket.receive) == ["self", "pkt"], "AsyncSocket.receive(pkt)", "lean_ws")
    require(
        {"wait", "abort", "reason"} <= set(params(AsyncSocket.close)),
        "AsyncSocket.close(wait=, abort=, reason=)",
        "lean_ws.py",
    )
    reason = engineio.AsyncServer.reason
    require(hasattr(reason, "TRANSPORT_CLOSE"), "reason.TRANSPORT_CLOSE", "lean_ws.py")
    for name in ("UnknownPacketError", "SocketIsClosedError"):
        require(hasattr(eio_exceptions, name), f"engineio.exceptions.{name}", "lean_ws.py")


# --- direct.py ---


def test_direct_queue_offers_every_queue_method_engineio_calls():
    called = set(re.findall(r"self\.queue\.(\w+)\(", source(async_socket)))
    missing = {m for m in called if not callable(getattr(DirectQueue, m, None))}
    require(not missing, f"AsyncSocket's queue calls {sorted(missing)}", "direct.py (DirectQueue)")
    require(
        "asyncio.wait_for(\n                self.queue.get()," in source(AsyncSocket.poll),
        "AsyncSocket.poll waits with asyncio.wait_for(queue.get(), ...)",
        "direct.py (get() returns a future; a waiting getter means the writer is idle)",
    )


def test_frozen_packets_encode_like_engineio_and_socketio_packets():
    pkt = sio_packet.Packet(sio_packet.EVENT, namespace="/admin", data=["e", {"a": 1}])
    encoded = pkt.encode()
    require(isinstance(encoded, str), "socketio.packet.Packet.encode() -> str", "direct.py")
    normal = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    frozen = FrozenPacket(encoded)
    require(
        frozen.encode() == normal.encode() and frozen.packet_type == eio_packet.MESSAGE,
        "engineio.packet.Packet(MESSAGE, data).encode() == '4' + data",
        "direct.py (FrozenPacket)",
    )


# --- room_index.py ---


def _functions_writing_rooms(module: object) -> set[str]:
    writers = set()
    for node in ast.walk(ast.parse(source(module))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for sub in ast.walk(node):
                targets = getattr(sub, "targets", None) or []
                for target in targets:
                    text = ast.unparse(target)
                    if text.startswith("self.rooms[") or text == "self.rooms":
                        writers.add(node.name)
    return writers


def test_only_basic_enter_and_leave_room_change_the_room_table():
    writers = set()
    for module in (base_manager, socketio.async_manager, async_pubsub_manager,
                   async_redis_manager):  # fmt: skip
        writers |= _functions_writing_rooms(module)
    require(
        writers == {"__init__", "basic_enter_room", "basic_leave_room"},
        f"the room table is written by {sorted(writers)}, not only basic_enter/leave_room",
        "room_index.py (keeps its index in step through those two)",
    )
    manager = base_manager.BaseManager
    require(
        params(manager.basic_enter_room) == ["self", "sid", "namespace", "room", "eio_sid"]
        and params(manager.basic_leave_room) == ["self", "sid", "namespace", "room"]
        and params(manager.get_rooms) == ["self", "sid", "namespace"],
        "BaseManager.basic_enter_room / basic_leave_room / get_rooms signatures",
        "room_index.py",
    )


def test_basic_disconnect_does_what_the_indexed_copy_does():
    body = source(base_manager.BaseManager.basic_disconnect)
    for part in ("self.basic_leave_room(sid, namespace, room)", "del self.callbacks[sid]",
                 "self.pending_connect", "self.pending_disconnect"):  # fmt: skip
        require(part in body, f"BaseManager.basic_disconnect: {part}", "room_index.py's copy")
    require(
        "self.rooms = {}  # self.rooms[namespace][room][sio_sid] = eio_sid"
        in source(base_manager.BaseManager.__init__),
        "BaseManager.rooms[namespace][room] -> {sid: eio_sid}",
        "managers.py (FanoutManager.emit reads a room's sids) and room_index.py",
    )


# --- managers.py ---


def test_redis_manager_listener_chain():
    redis_cls = socketio.AsyncRedisManager
    require(
        "start_background_task(self._thread)" in source(async_pubsub_manager.AsyncPubSubManager),
        "AsyncPubSubManager.initialize starts self._thread as a bare task",
        "managers.py (skips it and runs _thread as an aiojobs job)",
    )
    require(
        "self._listen()" in source(async_pubsub_manager.AsyncPubSubManager._thread)
        and "self._redis_listen_with_retries()" in source(redis_cls._listen),
        "AsyncRedisManager._thread -> _listen -> _redis_listen_with_retries",
        "managers.py (overrides _redis_listen_with_retries to report its health)",
    )
    require(callable(getattr(redis_cls, "_redis_connect", None)), "_redis_connect", "managers.py")
    manager = RedisFanoutManager("redis://127.0.0.1:1/0", channel="c", client_name="n")
    for attr in ("redis", "pubsub", "channel", "connected"):
        require(hasattr(manager, attr), f"AsyncRedisManager.{attr}", "managers.py")
    require(
        {"url", "channel", "redis_options"} <= set(params(redis_cls.__init__)),
        "AsyncRedisManager(url, channel=, redis_options=)",
        "managers.py",
    )
