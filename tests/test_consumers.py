"""Durable consumers of the outbox: every event of their types once, in relay order, across
crashes, restarts and processes running side by side."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from server.app import create_app
from server.domain.events import event, user_stream
from server.keys import CLOCK, CONSUMERS, MONGO_DB, PG_POOL
from server.metrics import CONSUMER_LAG
from server.services.consumers import (
    BUSY,
    ConsumedEvent,
    Consumer,
    ConsumerBatch,
    HandlerRegistry,
    consume_batch,
    ensure_offset,
)
from server.settings import Settings
from server.stores import outbox
from tests.consumer_helpers import Crash, probe_consumer, relay_all, settled

USER = str(uuid.uuid4())


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # These tests drive the relay and the consumers by hand unless they say otherwise.
    settings.realtime_relay_enabled = False
    settings.consumers_enabled = False
    return settings


async def make(db, clock, *numbers: int, type: str = "probe.made") -> None:
    async with db.transaction():
        await outbox.append(
            db, [event(type, user_stream(USER), at=clock.now(), n=n, user=USER) for n in numbers]
        )


async def offset(db, name: str = "probe") -> int:
    return await db.fetchval("SELECT relay_seq FROM consumer_offsets WHERE name = $1", name)


async def run(app, consumer) -> list[int]:
    counts = []
    while (n := await consume_batch(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer)) > 0:
        counts.append(n)
    return counts


async def test_events_are_handled_in_relay_order_in_batches_past_other_types(
    client, app, db, clock, mongo
):
    consumer = probe_consumer(app[MONGO_DB], batch_size=4)
    await ensure_offset(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer)
    await make(db, clock, 1, 2, 3)
    await make(db, clock, 99, type="probe.other")
    await make(db, clock, 4, 5, 6, 7)
    await make(db, clock, 8, 9, 10)
    await relay_all(app)
    await make(db, clock, 11)  # committed but not relayed yet: not visible to consumers

    assert await run(app, consumer) == [4, 4, 2]
    done = await outbox.recorded(db, type="probe.done")
    assert [json.loads(r["data"])["n"] for r in done] == list(range(1, 11))
    head = await db.fetchval("SELECT max(relay_seq) FROM outbox")
    assert await offset(db) == head  # past probe.other and its own probe.done rows too
    assert await mongo.probe_runs.count_documents({"runs": 1}) == 10


async def test_a_crash_between_effects_and_commit_runs_the_batch_again_without_duplicates(
    client, app, db, clock, mongo
):
    consumer = probe_consumer(app[MONGO_DB], batch_size=10, crash_on={"2"})
    await ensure_offset(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer)
    await make(db, clock, 1, 2, 3)
    await relay_all(app)

    with pytest.raises(Crash):
        await consume_batch(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer)
    # The effects of 1 and 2 happened; nothing in Postgres did.
    assert await mongo.probe_effects.count_documents({}) == 2
    assert await offset(db) == 0
    assert await outbox.recorded(db, type="probe.done") == []

    assert await run(app, consumer) == [3]
    runs = {d["_id"]: d["runs"] async for d in mongo.probe_runs.find()}
    assert sorted(runs.values()) == [1, 2, 2]  # 1 and 2 ran twice, harmlessly
    assert await mongo.probe_effects.count_documents({}) == 3
    done = [json.loads(r["data"])["n"] for r in await outbox.recorded(db, type="probe.done")]
    assert done == [1, 2, 3]  # once each: they commit with the offset


async def test_one_process_at_a_time_holds_a_consumer(client, app, db, clock, mongo):
    consumer = probe_consumer(app[MONGO_DB])
    await ensure_offset(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer)
    async with db.transaction():
        await db.execute("SELECT 1 FROM consumer_offsets WHERE name = 'probe' FOR UPDATE")
        assert await consume_batch(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer) == BUSY
    assert await consume_batch(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer) == 0


async def test_a_new_consumer_starts_at_the_head_or_the_beginning(client, app, db, clock, mongo):
    await make(db, clock, 1, 2)
    await relay_all(app)
    late = probe_consumer(app[MONGO_DB], name="late")
    replay = probe_consumer(app[MONGO_DB], name="replay")
    replay = type(replay)(name="replay", handlers=replay.handlers, start="beginning")
    for c in (late, replay):
        await ensure_offset(pool=app[PG_POOL], clock=app[CLOCK], consumer=c)
    await make(db, clock, 3)
    await relay_all(app)
    assert await run(app, late) == [1]
    assert await run(app, replay) == [3]


async def test_a_consumer_taking_over_starts_at_the_others_offset(client, app, db, clock, mongo):
    old = probe_consumer(app[MONGO_DB], name="old")
    await ensure_offset(pool=app[PG_POOL], clock=app[CLOCK], consumer=old)
    await make(db, clock, 1, 2)
    await relay_all(app)
    assert await run(app, old) == [2]
    await make(db, clock, 3)  # after the old consumer's offset, before the new one exists
    await relay_all(app)
    base = probe_consumer(app[MONGO_DB], name="heir")
    heir = type(base)(name="heir", handlers=base.handlers, start_at="old")
    orphan = type(base)(name="orphan", handlers=base.handlers, start_at="nobody")
    for c in (heir, orphan):
        await ensure_offset(pool=app[PG_POOL], clock=app[CLOCK], consumer=c)
    assert await run(app, heir) == [1]  # 3, not 1 and 2 again
    assert await run(app, orphan) == []  # no such consumer: at the head, as `start` says


async def test_it_resumes_after_a_restart_where_it_stopped(
    aiohttp_client, settings, clock, db, mongo
):
    settings.realtime_relay_enabled = True
    settings.consumers_enabled = True
    settings.consumer_poll_seconds = 0.05

    def start(tag: str):
        app = create_app(settings, clock=clock)
        app[CONSUMERS].append(lambda app: probe_consumer(app[MONGO_DB], tag=tag))
        return app

    first = await aiohttp_client(start("first"))
    await make(db, clock, 1, 2, 3)
    await settled(db)
    await first.close()

    await make(db, clock, 4, 5)  # while no process runs: relayed and consumed after the restart
    await aiohttp_client(start("second"))
    await settled(db)
    by = {d["_id"]: d["by"] async for d in mongo.probe_runs.find()}
    assert sorted(by.values()) == [["first"]] * 3 + [["second"]] * 2


async def test_two_processes_consuming_together_handle_each_event_once(
    aiohttp_client, settings, clock, db, mongo
):
    settings.realtime_relay_enabled = True
    settings.consumers_enabled = True
    settings.consumer_poll_seconds = 0.05
    for tag in ("a", "b"):
        app = create_app(settings, clock=clock)
        app[CONSUMERS].append(
            lambda app, tag=tag: probe_consumer(app[MONGO_DB], tag=tag, batch_size=3, delay=0.002)
        )
        await aiohttp_client(app)

    numbers = list(range(60))
    for start in range(0, 60, 6):
        await make(db, clock, *numbers[start : start + 6])
        await asyncio.sleep(0.01)
    await settled(db)
    runs = [d["runs"] async for d in mongo.probe_runs.find()]
    assert len(runs) == 60 and set(runs) == {1}
    done = [json.loads(r["data"])["n"] for r in await outbox.recorded(db, type="probe.done")]
    assert sorted(done) == numbers


def trailing(seen: list, follows: str, done: asyncio.Event, expect: int) -> Consumer:
    """Follows `follows`; notes, for each event, whether the leader's `probe.done` for it has
    been relayed by then, and sets `done` once it has seen `expect` events."""
    registry = HandlerRegistry()

    @registry.on("probe.made")
    async def trail(batch: ConsumerBatch, ev: ConsumedEvent) -> None:
        relayed = await batch.conn.fetchval(
            "SELECT count(*) FROM outbox WHERE type = 'probe.done' AND relayed_at IS NOT NULL "
            "AND (data->>'n')::int = $1",
            ev.data["n"],
        )
        seen.append((ev.data["n"], relayed))
        if len(seen) >= expect:
            done.set()

    return Consumer(name="trail", handlers=registry.handlers, follows=follows)


async def followed(aiohttp_client, settings, clock, db, *, leader, follows: str, numbers):
    """Runs a server with `leader` (a consumer factory, or None) and a trailing consumer that
    follows `follows`, makes probe events `numbers` and returns what the follower saw. The
    poll is a minute: only wake-ups move the consumers within the test."""
    settings.realtime_relay_enabled = True
    settings.consumers_enabled = True
    settings.consumer_poll_seconds = 60
    seen: list = []
    done = asyncio.Event()
    app = create_app(settings, clock=clock)
    if leader is not None:
        app[CONSUMERS].append(leader)
    app[CONSUMERS].append(lambda app: trailing(seen, follows, done, expect=len(numbers)))
    await aiohttp_client(app)
    await make(db, clock, *numbers)
    await asyncio.wait_for(done.wait(), 10)  # long before its poll
    return seen


async def test_a_follower_runs_once_its_leaders_events_are_relayed(
    aiohttp_client, settings, clock, db, mongo
):
    lead = lambda app: probe_consumer(app[MONGO_DB], name="lead")  # noqa: E731
    seen = await followed(
        aiohttp_client, settings, clock, db, leader=lead, follows="lead", numbers=(1, 2)
    )
    assert sorted(seen) == [(1, 1), (2, 1)]  # not beside the leader: behind its live events


async def test_a_follower_of_a_leader_that_recorded_nothing_runs_at_once(
    aiohttp_client, settings, clock, db, mongo
):
    silent = HandlerRegistry()

    @silent.on("probe.made")
    async def nothing(batch: ConsumerBatch, ev: ConsumedEvent) -> None:
        pass

    # No relay commit follows the leader's batch: the follower is woken by the batch itself.
    lead = lambda app: Consumer(name="lead", handlers=silent.handlers)  # noqa: E731
    seen = await followed(
        aiohttp_client, settings, clock, db, leader=lead, follows="lead", numbers=(1,)
    )
    assert seen == [(1, 0)]


async def test_a_follower_of_a_consumer_not_registered_here_is_woken_by_the_relay(
    aiohttp_client, settings, clock, db, mongo
):
    seen = await followed(
        aiohttp_client, settings, clock, db, leader=None, follows="nobody", numbers=(1,)
    )
    assert seen == [(1, 0)]


async def test_each_consumers_lag_is_a_gauge(aiohttp_client, settings, clock, db, fake_dogstatsd):
    settings.realtime_relay_enabled = True
    settings.dd_agent_host = "127.0.0.1"
    settings.dd_dogstatsd_port = fake_dogstatsd.port
    settings.metrics_interval_seconds = 0.2
    await aiohttp_client(create_app(settings, clock=clock))  # consumers are off: they lag
    await make(db, clock, 1, 2, 3)
    lag = f"classconnect.{CONSUMER_LAG}"
    await fake_dogstatsd.wait_for(
        lambda s: s.name == lag and s.tag("consumer") == "notifications" and s.value == 3
    )
