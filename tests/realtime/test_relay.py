"""The relay on its own (the app's relay loop is off here, so each test drives it)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from server.domain.events import course_stream, user_stream
from server.keys import CLOCK, MONGO_DB, PG_POOL
from server.services.relay import relay_batch
from server.settings import Settings
from server.stores import event_log
from tests.realtime.conftest import record


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_relay_enabled = False
    return settings


class Crash(Exception):
    pass


async def test_a_crash_between_append_and_mark_never_duplicates(client, app, db, mongo, clock):
    streams = (user_stream(uuid.uuid4()), course_stream(uuid.uuid4()))
    ev = await record(db, "probe", *streams, at=clock.now())

    async def crash(envelopes):
        raise Crash

    published: list = []

    async def keep(envelopes):
        published.extend(envelopes)

    args = dict(pool=app[PG_POOL], db=app[MONGO_DB], clock=app[CLOCK], limit=10)
    try:
        await relay_batch(**args, publish=crash)
    except Crash:
        pass
    await relay_batch(**args, publish=keep)
    docs = await mongo["event_log"].find({"event_id": str(ev.id)}).to_list(10)
    assert sorted(d["stream"] for d in docs) == sorted(streams)
    assert all(d["seq"] == 1 for d in docs)
    assert await db.fetchval("SELECT relayed_at IS NOT NULL FROM outbox WHERE id = $1", ev.id)


async def test_concurrent_relays_allocate_each_seq_once(client, app, db, mongo, clock):
    stream = course_stream(uuid.uuid4())
    ids = [(await record(db, "probe", stream, at=clock.now(), n=n)).id for n in range(60)]
    args = dict(pool=app[PG_POOL], db=app[MONGO_DB], clock=app[CLOCK], limit=7)

    async def noop(envelopes):
        await asyncio.sleep(0.001)

    async def drain():
        while await relay_batch(**args, publish=noop) != 0:
            pass  # BUSY (another relay holds the lock) or a batch done: go again

    await asyncio.gather(*(drain() for _ in range(4)))
    docs = await mongo["event_log"].find({"stream": stream}).sort("seq", 1).to_list(100)
    assert [d["seq"] for d in docs] == list(range(1, 61))
    # Seq order is recording order: one relay at a time claims rows in outbox position order.
    assert [d["event_id"] for d in docs] == [str(i) for i in ids]
    assert (await event_log.heads(app[MONGO_DB], [stream]))[stream] == 60


async def test_batches_over_many_streams_number_each_stream_in_recording_order(
    client, app, db, mongo, clock
):
    # A notification to many users puts hundreds of streams in one batch: their heads are
    # read in bulk and moved in bulk after the insert. Streams that had events before continue
    # their numbers; an event bound for several streams takes the next seq of each; concurrent
    # relays still give every seq once, in recording order.
    streams = [user_stream(uuid.uuid4()) for _ in range(120)]
    before = await record(db, "probe", streams[0], at=clock.now())
    args = dict(pool=app[PG_POOL], db=app[MONGO_DB], clock=app[CLOCK], limit=500)

    async def noop(envelopes):
        await asyncio.sleep(0.001)

    await relay_batch(**args, publish=noop)
    expected: dict[str, list[str]] = {s: [] for s in streams}
    expected[streams[0]].append(str(before.id))
    for n in range(3):
        for i, stream in enumerate(streams):
            ev = await record(db, "probe", stream, at=clock.now(), n=n)
            expected[stream].append(str(ev.id))
            if i % 40 == 0:  # some events go to two streams
                both = await record(db, "probe", stream, streams[-1 - i], at=clock.now())
                expected[stream].append(str(both.id))
                expected[streams[-1 - i]].append(str(both.id))
    args["limit"] = 150

    async def drain():
        while await relay_batch(**args, publish=noop) != 0:
            pass

    await asyncio.gather(*(drain() for _ in range(3)))
    heads = await event_log.heads(app[MONGO_DB], streams)
    for stream in streams:
        docs = await mongo["event_log"].find({"stream": stream}).sort("seq", 1).to_list(None)
        assert [d["seq"] for d in docs] == list(range(1, len(expected[stream]) + 1)), stream
        assert [d["event_id"] for d in docs] == expected[stream]
        assert heads[stream] == len(expected[stream])


async def envelope_without_head(mongo, event_id: str, stream: str, seq: int, at) -> None:
    """What a relay that died between its insert and its head write leaves behind."""
    doc = {"event_id": event_id, "stream": stream, "seq": seq, "type": "probe", "at": at}
    await mongo["event_log"].insert_one({**doc, "data": {}})


async def test_a_retried_batch_moves_the_head_over_envelopes_it_reuses(
    client, app, db, mongo, clock
):
    stream = course_stream(uuid.uuid4())
    ev = await record(db, "probe", stream, at=clock.now())
    await envelope_without_head(mongo, str(ev.id), stream, 1, clock.now())
    args = dict(pool=app[PG_POOL], db=app[MONGO_DB], clock=app[CLOCK], limit=10)

    published: list = []

    async def keep(envelopes):
        published.extend(envelopes)

    await relay_batch(**args, publish=keep)
    assert [(e["id"], e["seq"]) for e in published] == [(str(ev.id), 1)]
    assert (await event_log.heads(app[MONGO_DB], [stream]))[stream] == 1


async def test_a_log_ahead_of_its_head_is_caught_up_never_overwritten(
    client, app, db, mongo, clock
):
    # Another relay's envelope (seq 2) reached the log but its head write did not: allocating
    # from the head alone would give the next event seq 2 again.
    stream = user_stream(uuid.uuid4())
    first = await record(db, "probe", stream, at=clock.now())
    args = dict(pool=app[PG_POOL], db=app[MONGO_DB], clock=app[CLOCK], limit=10)

    async def noop(envelopes):
        pass

    await relay_batch(**args, publish=noop)
    await envelope_without_head(mongo, str(uuid.uuid4()), stream, 2, clock.now())
    second = await record(db, "probe", stream, at=clock.now())
    await relay_batch(**args, publish=noop)
    docs = await mongo["event_log"].find({"stream": stream}).sort("seq", 1).to_list(None)
    assert [d["seq"] for d in docs] == [1, 2, 3]
    assert [docs[0]["event_id"], docs[2]["event_id"]] == [str(first.id), str(second.id)]
    assert (await event_log.heads(app[MONGO_DB], [stream]))[stream] == 3
