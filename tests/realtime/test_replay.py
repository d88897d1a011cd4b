"""Durable delivery: the relay appends each event once with a per-stream seq; sockets replay
what they missed, with no gap and no duplicate at the seam, or are told to resync."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from server.domain.events import user_stream
from tests.realtime.conftest import record, relayed


def seqs(rec, stream):
    return [e["seq"] for e in rec.envelopes(stream)]


async def test_replay_after_a_disconnect_then_live(client, sockets, users, db, clock):
    alice = await users.create("Alice")
    stream = user_stream(alice.id)
    rec = await sockets().connect(alice.token)
    for n in range(3):
        await record(db, "probe", stream, at=clock.now(), n=n)
    await rec.wait_until(lambda: len(rec.envelopes()) == 3)
    await rec.close()
    for n in range(3, 8):
        await record(db, "probe", stream, at=clock.now(), n=n)
    await relayed(db)  # so that all five are replayed rather than some arriving live
    again = await sockets().connect(alice.token, resume={stream: 3})
    await again.wait_until(lambda: len(again.envelopes()) == 5)
    await record(db, "probe", stream, at=clock.now(), n=8)
    await again.wait_until(lambda: len(again.envelopes()) == 6)
    assert seqs(again, stream) == [4, 5, 6, 7, 8, 9]
    assert [e["data"]["n"] for e in again.envelopes()] == [3, 4, 5, 6, 7, 8]
    assert again.of("session.ready")[0]["streams"] == {stream: 8, "global": 0}  # replay first
    assert again.events.index(("session.ready", again.of("session.ready")[0])) == 5


async def test_no_gap_and_no_duplicate_at_the_seam_while_events_flow(
    client, sockets, users, db, database_url, clock
):
    alice = await users.create("Alice")
    stream = user_stream(alice.id)
    total = 150

    async def produce() -> None:
        import asyncpg

        conn = await asyncpg.connect(database_url)
        try:
            for n in range(total):
                await record(conn, "probe", stream, at=clock.now(), n=n)
                if n % 10 == 0:
                    await asyncio.sleep(0.01)
        finally:
            await conn.close()

    producer = asyncio.create_task(produce())
    seen = await sockets().connect(alice.token)  # live from its start
    await seen.wait_until(lambda: seen.envelopes(), within=10)
    # Reconnect several times mid-stream, each time resuming from the last seq received.
    clients = [seen]
    last = 0
    for _ in range(3):
        await asyncio.sleep(0.05)
        await clients[-1].close()
        # A client resumed after the producer finished (a slow machine) receives nothing: the
        # next one resumes from the same seq.
        if got := clients[-1].envelopes():
            last = got[-1]["seq"]
        clients.append(await sockets().connect(alice.token, resume={stream: last}))
    await producer
    final = clients[-1]
    await final.wait_until(lambda: final.envelopes() and final.envelopes()[-1]["seq"] == total, 10)
    received = [e["seq"] for c in clients for e in c.envelopes()]
    first = received[0]
    per_client = [[e["seq"] for e in c.envelopes()] for c in clients]
    # contiguous, in order, nothing twice
    assert received == list(range(first, total + 1)), per_client
    assert all(c.of("resync.required") == [] for c in clients)


async def test_behind_the_retention_window_means_resync(client, sockets, users, db, mongo, clock):
    alice = await users.create("Alice")
    stream = user_stream(alice.id)
    rec = await sockets().connect(alice.token)
    for n in range(5):
        await record(db, "probe", stream, at=clock.now(), n=n)
    await rec.wait_until(lambda: len(rec.envelopes()) == 5)
    await rec.close()
    # A week later the TTL has removed the oldest envelopes.
    clock.advance(timedelta(days=7, seconds=1))
    await mongo["event_log"].delete_many({"stream": stream, "seq": {"$lte": 2}})
    token = users.token(alice.id)
    behind = await sockets().connect(token, resume={stream: 1})
    assert behind.of("resync.required") == [{"stream": stream, "seq": 5}]
    assert behind.envelopes() == []
    near = await sockets().connect(token, resume={stream: 2})
    assert seqs(near, stream) == [3, 4, 5] and near.of("resync.required") == []
    ahead = await sockets().connect(token, resume={stream: 99})  # e.g. a wiped log
    assert ahead.of("resync.required") == [{"stream": stream, "seq": 5}]


async def test_resume_event_replays_on_demand(client, sockets, users, db, clock):
    alice = await users.create("Alice")
    stream = user_stream(alice.id)
    rec = await sockets().connect(alice.token)
    for n in range(4):
        await record(db, "probe", stream, at=clock.now(), n=n)
    await rec.wait_until(lambda: len(rec.envelopes()) == 4)
    ack = await rec.call("resume", {"streams": {stream: 1}})
    assert ack == {"ok": True, "streams": [stream], "ignored": []}
    await rec.wait_until(lambda: len(rec.envelopes()) == 7)
    assert seqs(rec, stream) == [1, 2, 3, 4, 2, 3, 4]


async def test_envelopes_have_the_documented_shape(client, sockets, users, db, clock):
    alice = await users.create()
    rec = await sockets().connect(alice.token)
    ev = await record(db, "course.updated", user_stream(alice.id), at=clock.now(), title="T")
    env = (await rec.wait_for("course.updated"))[0]
    assert env == {
        "id": str(ev.id), "stream": user_stream(alice.id), "seq": 1, "type": "course.updated",
        "at": clock.now().isoformat(), "data": {"title": "T"},
    }  # fmt: skip
