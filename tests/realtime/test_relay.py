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
