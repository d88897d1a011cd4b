"""A client that stops reading must not delay anyone else: its queue is bounded, and past the
bound it is disconnected (it replays on reconnect)."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest

from server.domain.events import course_stream
from server.keys import REALTIME_HUB
from server.settings import Settings
from tests.realtime.conftest import add_member, make_course, record


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_socket_queue_limit = 20
    return settings


async def stalled_socket(client, token: str) -> aiohttp.ClientWebSocketResponse:
    """Speak Engine.IO/Socket.IO by hand, connect, then never read again."""
    session = aiohttp.ClientSession()
    url = client.make_url("/socket.io/").with_query(EIO="4", transport="websocket")
    ws = await session.ws_connect(url, max_msg_size=0)
    opened = await ws.receive_str()
    assert opened.startswith("0")
    await ws.send_str("40" + json.dumps({"token": token}))
    assert (await ws.receive_str()).startswith("40")
    ws._stalled_session = session  # type: ignore[attr-defined]
    return ws


async def test_a_stalled_client_is_cut_and_delays_nobody(client, sockets, users, db, clock, caplog):
    caplog.set_level(logging.INFO, logger="classconnect.realtime")
    owner, slow = await users.create("Owner"), await users.create("Slow")
    course = await make_course(db, owner.id, clock.now())
    await add_member(db, course, slow.id, "student", clock.now())
    hub = client.app[REALTIME_HUB]
    ws = await stalled_socket(client, slow.token)
    try:
        await asyncio.sleep(0.2)
        assert hub.by_user.get(slow.id)
        fast = await sockets().connect(owner.token)
        blob = "x" * 64 * 1024
        total, chunk = 400, 10  # ~25 MB: more than the kernel buffers of a loopback connection
        # In chunks the fast client keeps up with (its queue is bounded too: a burst of
        # hundreds relayed at once would overflow it as well); the stalled one never reads.
        for start in range(0, total, chunk):
            for n in range(start, start + chunk):
                await record(
                    db, "module.changed", course_stream(course), at=clock.now(), n=n, blob=blob
                )
            await fast.wait_until(lambda: len(fast.envelopes()) >= start + chunk, within=30)  # noqa: B023
        assert [e["seq"] for e in fast.envelopes()] == list(range(1, total + 1))
        async with asyncio.timeout(10):
            while hub.by_user.get(slow.id):  # noqa: ASYNC110 (the server's state, polled)
                await asyncio.sleep(0.05)
        assert fast.sio.connected
        cuts = [r for r in caplog.records if r.getMessage() == "socket cut"]
        assert [r.reason for r in cuts] == ["slow_consumer"]  # the stalled one, and only it
    finally:
        await ws.close()
        await ws._stalled_session.close()  # type: ignore[attr-defined]
