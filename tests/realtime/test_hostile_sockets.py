"""Hostile Socket.IO clients, each with a bystander: oversized packets, a flood of events, binary
attachments, an unknown namespace and malformed `auth` are refused, closed or rate limited,
and another user's socket keeps receiving its events and answering its pings throughout.

What each refusal looks like in detail (one log line, nothing kept, the caps) is tested in
`test_hardening.py`; here the point is that the attack stays with its connection."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from server.settings import Settings
from tests.realtime.conftest import Recorder, record
from tests.realtime.test_hardening import closed_by_server, kept, raw_socket

BIG = 200 * 1024  # past the 64 KB Engine.IO buffer


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_client_rate = 5
    settings.realtime_client_burst = 10
    return settings


@pytest.fixture
async def bystander(client, sockets, users) -> Recorder:
    bob = await users.create("Bob Bystander")
    rec = await sockets().connect(bob.token)
    rec.user = bob  # type: ignore[attr-defined]
    return rec


async def still_served(rec: Recorder, db, clock, n: int) -> None:
    """The bystander gets an event recorded now, in order, and its ping is answered."""
    await record(db, "probe.bystander", f"user:{rec.user.id}", at=clock.now(), n=n)  # type: ignore[attr-defined]
    await rec.wait_until(lambda: [d for d in rec.of("probe.bystander") if d["data"]["n"] == n])
    started = time.monotonic()
    assert (await rec.call("ping", {"t": n}))["ok"] is True
    assert time.monotonic() - started < 2.0
    assert rec.sio.connected


async def authed_raw(client, users):
    ws_cm = raw_socket(client)
    ws = await ws_cm.__aenter__()
    await ws.send_str("40" + json.dumps({"token": (await users.create()).token}))
    assert (await ws.receive_str()).startswith("40")
    return ws_cm, ws


async def test_oversized_packets_close_only_their_connection(client, users, bystander, db, clock):
    for authenticate in (False, True):
        if authenticate:
            cm, ws = await authed_raw(client, users)
        else:
            cm = raw_socket(client)
            ws = await cm.__aenter__()
        await ws.send_str('42["ping",{"t":"' + "x" * BIG + '"}]')
        assert await closed_by_server(ws)
        await cm.__aexit__(None, None, None)
        await still_served(bystander, db, clock, int(authenticate))
    # Long-polling: the POST body is capped as well.
    url = client.make_url("/socket.io/").with_query(EIO="4", transport="polling")
    handshake = await client.session.get(url)
    sid = json.loads((await handshake.text())[1:])["sid"]
    async with asyncio.timeout(5):  # closing the session once hung the request for ever
        resp = await client.session.post(url.update_query(sid=sid), data="4" + "x" * BIG)
    assert 400 <= resp.status < 500
    await still_served(bystander, db, clock, 2)
    for junk in ("9", "4" * 10):  # an unknown packet type; junk: closed as well, answered
        handshake = await client.session.get(url)
        sid = json.loads((await handshake.text())[1:])["sid"]
        try:
            async with asyncio.timeout(5):
                resp = await client.session.post(url.update_query(sid=sid), data=junk)
            assert resp.status < 500
        except aiohttp.ServerDisconnectedError:
            pass  # closed as malformed: an answer too
    await still_served(bystander, db, clock, 3)


async def test_a_flood_of_events_is_rate_limited_and_nobody_else_slows(
    client, sockets, users, bystander, db, clock
):
    flooder = await sockets().connect((await users.create("Flo")).token)
    acks = await asyncio.gather(*(flooder.call("ping", {"t": i}) for i in range(300)))
    refused = [a for a in acks if not a["ok"]]
    assert len(refused) >= 250 and {a["error"]["code"] for a in refused} == {"rate_limited"}
    cm, ws = await authed_raw(client, users)  # and one that never waits for its acks
    for i in range(2000):
        await ws.send_str(f'42{i}["ping",{{"t":{i}}}]')
    await still_served(bystander, db, clock, 0)
    await cm.__aexit__(None, None, None)
    assert (await bystander.call("ping"))["ok"] is True


@pytest.mark.parametrize(
    "frame",
    [
        '451-["ping",{"_placeholder":true,"num":0}]',  # an event with a binary attachment
        '461-0["ping",{"_placeholder":true,"num":0}]',  # a binary ack
    ],
)
async def test_binary_attachments_close_only_their_connection(
    client, users, bystander, db, clock, frame
):
    cm, ws = await authed_raw(client, users)
    await ws.send_str(frame)
    await ws.send_bytes(b"\x04" + b"\x00" * 5000)
    assert await closed_by_server(ws)
    await cm.__aexit__(None, None, None)
    await still_served(bystander, db, clock, 0)


async def test_an_unknown_namespace_is_refused_and_keeps_nothing(
    client, users, bystander, db, clock
):
    token = (await users.create()).token
    async with raw_socket(client) as ws:
        await asyncio.sleep(0.05)
        before = kept(client.app)
        for namespace in ("/nope", "/admin/../", "/" + "n" * 5000):
            await ws.send_str(f"40{namespace}," + json.dumps({"token": token}))
            answer = await ws.receive_str()
            assert answer.startswith(f"44{namespace},"), answer[:80]
        assert kept(client.app) == before
    await still_served(bystander, db, clock, 0)


MALFORMED_AUTH = [
    {},
    {"token": None},
    {"token": {"$ne": None}},
    {"token": ["a", "b"]},
    {"token": 12345},
    {"token": ""},
    {"token": "x" * 5000},
    {"token": "not.a.jwt", "resume": "everything"},
    {"token": "not.a.jwt", "resume": {"user:x": -1}},
    {"token": "not.a.jwt", "resume": {f"s{i}": 1 for i in range(1000)}},
    {"token": "a\ud800b"},
]


async def test_malformed_auth_is_refused_with_a_code(client, users, bystander, db, clock):
    async with raw_socket(client) as ws:
        await asyncio.sleep(0.05)
        before = kept(client.app)
        for auth in MALFORMED_AUTH:
            await ws.send_str("40" + json.dumps(auth))
            answer = (await ws.receive()).data
            assert isinstance(answer, str), (auth, answer)
            assert answer.startswith("44"), (auth, answer)
            code = json.loads(answer[2:])["data"]["code"]
            assert code in ("token_missing", "token_invalid"), (auth, code)
        assert kept(client.app) == before
    for not_an_object in ('"a token"', "42", '["token"]', "null"):
        async with raw_socket(client) as ws:
            await ws.send_str("40" + not_an_object)
            answer = await ws.receive()
            # refused (null is "no auth"), or the connection closed as malformed
            refused = answer.type is aiohttp.WSMsgType.TEXT and answer.data.startswith("44")
            closed = answer.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert refused or closed, (not_an_object, answer)
    await still_served(bystander, db, clock, 0)
