"""What a client can do to the Socket.IO endpoint before and after it authenticates: nothing it
sends before authenticating is kept, a malformed frame is logged once and ends the connection,
a user's sockets and events are capped, and browsers are held to the configured origins."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import WSMsgType

from server.keys import REALTIME_HUB, SOCKETIO
from server.settings import Settings

DEEP = "[" * 30_000 + "]" * 30_000  # under the 64 KB frame limit, far past json's recursion


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_max_sockets_per_user = 3
    settings.allowed_origins = ["https://console.example.org"]
    return settings


def _entries(value: Any, depth: int = 0) -> int:
    """Entries in a container, nested containers' entries included."""
    if depth > 3 or not isinstance(value, dict | set | list):
        return 0
    items = value.values() if isinstance(value, dict) else value
    return len(value) + sum(_entries(v, depth + 1) for v in items)


def kept(app) -> dict[str, int]:
    """Every table the realtime layer keeps: the hub's, python-socketio's, Engine.IO's and the
    client manager's (rooms, sids, sessions)."""
    sio = app[SOCKETIO]
    owners = {"hub": app[REALTIME_HUB], "sio": sio, "eio": sio.eio, "manager": sio.manager}
    return {
        f"{name}.{attr}": _entries(value)
        for name, owner in owners.items()
        for attr, value in vars(owner).items()
        if isinstance(value, dict | set | list)
    }


@asynccontextmanager
async def raw_socket(client, **headers: str) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """An Engine.IO websocket spoken by hand, past its OPEN packet."""
    session = aiohttp.ClientSession()
    try:
        url = client.make_url("/socket.io/").with_query(EIO="4", transport="websocket")
        ws = await session.ws_connect(url, headers=headers)
        assert (await ws.receive_str()).startswith("0")
        yield ws
        await ws.close()
    finally:
        await session.close()


async def closed_by_server(ws: aiohttp.ClientWebSocketResponse, within: float = 3.0) -> bool:
    try:
        async with asyncio.timeout(within):
            while True:
                msg = await ws.receive()
                if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                    return True
                if msg.type is WSMsgType.TEXT and msg.data == "1":  # Engine.IO CLOSE
                    return True
    except TimeoutError:
        return False


async def test_made_up_sids_leave_nothing_behind(client):
    before = None
    for n in range(200):
        url = client.make_url("/socket.io/").with_query(
            EIO="4", transport="websocket", sid=uuid.uuid4().hex
        )
        resp = await client.session.get(url)
        assert resp.status == 400
        resp.release()
        if n == 0:  # after Engine.IO noted that it logged this kind of error once
            before = kept(client.app)
    for _ in range(5):  # a real websocket handshake too
        url = client.make_url("/socket.io/").with_query(
            EIO="4", transport="websocket", sid=uuid.uuid4().hex
        )
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await client.session.ws_connect(url)
    assert kept(client.app) == before


async def test_refused_connects_leave_nothing_behind(client, users):
    blocked = await users.create("Blocked", status="blocked")
    async with raw_socket(client) as ws:
        await asyncio.sleep(0.05)  # the Engine.IO socket is registered
        before = kept(client.app)
        for token in ["nope", blocked.token, "x" * 5000] * 10:
            await ws.send_str("40" + json.dumps({"token": token}))
            assert (await ws.receive_str()).startswith("44")  # CONNECT_ERROR
        assert kept(client.app) == before


async def test_a_connection_that_never_authenticates_is_closed(client, users, settings):
    client.app[SOCKETIO].connect_timeout = 0.3
    before = kept(client.app)
    async with raw_socket(client) as idle, raw_socket(client) as authed:
        await authed.send_str("40" + json.dumps({"token": (await users.create()).token}))
        assert (await authed.receive_str()).startswith("40")
        assert await closed_by_server(idle)
        assert not await closed_by_server(authed, within=0.5)
    await asyncio.sleep(0.1)
    assert kept(client.app) == before


MALFORMED = {
    "deep-event": "42" + DEEP,  # an event nested 30,000 deep
    "deep-connect": "40" + DEEP,  # a CONNECT whose auth is
    "event-object": '42{"not": "a list"}',
    "event-empty": "42",
    "connect-error": "44{}",  # CONNECT_ERROR is the server's to send
    "unknown-type": "49",
    "binary-event": '451-["ping",{"_placeholder":true,"num":0}]',  # we accept no attachments
    "engineio-garbage": "x",
}


@pytest.mark.parametrize("frame", list(MALFORMED.values()), ids=list(MALFORMED))
async def test_a_malformed_frame_is_logged_once_and_closes(client, users, caplog, frame):
    caplog.set_level(logging.INFO)
    token = (await users.create()).token
    for authenticate in (False, True):
        caplog.clear()
        async with raw_socket(client) as ws:
            if authenticate:
                await ws.send_str("40" + json.dumps({"token": token}))
                assert (await ws.receive_str()).startswith("40")
            for _ in range(5):
                await ws.send_str(frame)
            assert await closed_by_server(ws)
        await asyncio.sleep(0.1)
        assert [r for r in caplog.records if r.exc_info] == []  # no traceback
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [r.getMessage() for r in warnings] == ["malformed packet; connection closed"]


async def test_a_binary_frame_is_refused(client, users, caplog):
    caplog.set_level(logging.INFO)
    async with raw_socket(client) as ws:
        await ws.send_str("40" + json.dumps({"token": (await users.create()).token}))
        assert (await ws.receive_str()).startswith("40")
        for _ in range(5):
            await ws.send_bytes(b"\x04" + b"x" * 1000)
        assert await closed_by_server(ws)
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


async def test_sockets_per_user_are_capped(client, sockets, users):
    alice, bob = await users.create("Alice"), await users.create("Bob")
    mine = [await sockets().connect(alice.token) for _ in range(3)]
    extra = sockets()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await extra.connect(alice.token)
    assert extra.refusal["data"]["code"] == "too_many_sockets"
    assert (await sockets().connect(bob.token)).sio.connected  # others are not affected
    await mine[0].close()
    await asyncio.sleep(0.1)
    assert (await sockets().connect(alice.token)).sio.connected


async def test_events_are_rate_limited_per_user_across_sockets(client, sockets, users, settings):
    settings.realtime_user_rate = 0.001
    settings.realtime_user_burst = 6
    alice, bob = await users.create("Alice"), await users.create("Bob")
    first, second = await sockets().connect(alice.token), await sockets().connect(alice.token)
    assert [(await first.call("ping"))["ok"] for _ in range(4)] == [True] * 4
    acks = [await second.call("ping") for _ in range(4)]  # within this socket's own burst
    assert [a["ok"] for a in acks] == [True, True, False, False]
    assert acks[-1]["error"]["code"] == "rate_limited"
    assert (await first.call("ping"))["ok"] is False
    other = await sockets().connect(bob.token)
    assert (await other.call("ping"))["ok"] is True


async def _connects(client, token: str, headers: dict[str, str], transport: str) -> bool:
    async with aiohttp.ClientSession() as session:  # ours, so a refused connect leaks nothing
        sio = socketio.AsyncClient(reconnection=False, http_session=session)
        try:
            await sio.connect(
                str(client.make_url("/")).rstrip("/"), auth={"token": token}, headers=headers,
                transports=[transport], wait_timeout=5,
            )  # fmt: skip
        except socketio.exceptions.ConnectionError:
            return False
        connected = sio.connected
        await sio.disconnect()
        return connected


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_only_configured_origins_or_same_origin_may_connect(client, users, transport):
    token = (await users.create()).token
    own = f"http://{client.host}:{client.port}"
    assert await _connects(client, token, {}, transport)  # the mobile app sends no Origin
    assert await _connects(client, token, {"Origin": own}, transport)  # the admin console
    allowed = {"Origin": "https://console.example.org"}
    assert await _connects(client, token, allowed, transport)
    for evil in ("https://evil.example", "null", "https://console.example.org.evil.example"):
        assert not await _connects(client, token, {"Origin": evil}, transport), evil


async def test_cors_headers_name_only_an_allowed_origin_and_no_credentials(client):
    handshake = client.make_url("/socket.io/").with_query(EIO="4", transport="polling")
    resp = await client.session.get(handshake, headers={"Origin": "https://console.example.org"})
    assert resp.status == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "https://console.example.org"
    assert "Access-Control-Allow-Credentials" not in resp.headers
    resp = await client.session.get(handshake, headers={"Origin": "https://evil.example"})
    assert resp.status == 400 and "Access-Control-Allow-Origin" not in resp.headers
    resp = await client.session.get(handshake)
    assert resp.status == 200 and "Access-Control-Allow-Origin" not in resp.headers


def test_allowed_origins_are_origins(tmp_path):
    def make(origins: list[str]) -> Settings:
        return Settings(_env_file=None, data_dir=tmp_path, allowed_origins=origins)  # type: ignore[call-arg]

    assert make(["https://Console.Example.org/", "http://[::1]:8080"]).allowed_origins == [
        "https://console.example.org",
        "http://[::1]:8080",
    ]
    for bad in ("*", "console.example.org", "https://example.org/admin", "ftp://example.org"):
        with pytest.raises(ValueError):
            make([bad])


async def test_a_long_polling_client_that_leaves_is_answered_at_once(client, users):
    # Its pending GET would otherwise wait for the next packet: ping interval + timeout (45 s).
    token = (await users.create()).token
    async with aiohttp.ClientSession() as session:
        sio = socketio.AsyncClient(reconnection=False, http_session=session)
        await sio.connect(str(client.make_url("/")).rstrip("/"), auth={"token": token},
                          transports=["polling"], wait_timeout=5)  # fmt: skip
        await asyncio.sleep(0.2)  # its next long-poll is pending
        async with asyncio.timeout(10):
            await sio.disconnect()
