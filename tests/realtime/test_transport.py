"""The websocket transport under the hub: Engine.IO's pings still flow (from a timer, not a task
per socket), a client that starts on long-polling and upgrades still gets every event, and the
direct lane writes events without Engine.IO's writer."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
import socketio

from server.domain.events import course_stream
from server.keys import REALTIME_HUB, SOCKETIO
from server.realtime.direct import DirectQueue
from server.settings import Settings
from tests.realtime.conftest import Recorder, make_course, record


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_ping_interval_seconds = 0.2
    return settings


async def test_pings_keep_flowing_and_the_socket_stays(client, users):
    user = await users.create("Pinged")
    session = aiohttp.ClientSession()
    try:
        url = client.make_url("/socket.io/").with_query(EIO="4", transport="websocket")
        ws = await session.ws_connect(url)
        opened = json.loads((await ws.receive_str())[1:])
        assert "pingInterval" in opened  # Engine.IO rounds it to whole seconds
        await ws.send_str("40" + json.dumps({"token": user.token}))
        pings = 0
        async with asyncio.timeout(5):
            while pings < 4:  # several intervals: each ping is scheduled after the last pong
                data = await ws.receive_str()
                if data == "2":
                    pings += 1
                    await ws.send_str("3")
        await ws.send_str('42["ping",{"t":1}]')  # still connected and answering
        assert not ws.closed
        await ws.close()
    finally:
        await session.close()


async def test_a_long_polling_client_that_upgrades_gets_every_event(client, users, db, clock):
    owner = await users.create("Owner")
    course = await make_course(db, owner.id, clock.now())
    recorder = Recorder(str(client.make_url("/")).rstrip("/"))
    await recorder.sio.connect(
        recorder.url, auth={"token": owner.token}, transports=["polling", "websocket"],
        wait_timeout=5,
    )  # fmt: skip
    try:
        await recorder.wait_for("session.ready")
        for n in range(5):
            await record(db, "module.changed", course_stream(course), at=clock.now(), n=n)
        await recorder.wait_until(lambda: len(recorder.envelopes()) == 5)
        assert [e["seq"] for e in recorder.envelopes()] == [1, 2, 3, 4, 5]
        assert recorder.sio.transport() == "websocket"
    finally:
        await recorder.close()


async def test_events_take_the_direct_lane(client, sockets, users, db, clock):
    owner = await users.create("Owner")
    course = await make_course(db, owner.id, clock.now())
    recorder = await sockets().connect(owner.token)
    hub, sio = client.app[REALTIME_HUB], client.app[SOCKETIO]
    (state,) = hub.of_user(owner.id)
    queue = sio.eio.sockets[state.eio_sid].queue
    assert isinstance(queue, DirectQueue) and queue.transport is not None
    before = queue.direct_writes
    for n in range(3):
        await record(db, "module.changed", course_stream(course), at=clock.now(), n=n)
    await recorder.wait_until(lambda: len(recorder.envelopes()) == 3)
    assert queue.direct_writes - before >= 3


def test_the_socketio_server_is_ours(client):
    assert isinstance(client.app[SOCKETIO], socketio.AsyncServer)
