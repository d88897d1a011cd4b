"""Metrics through the real DogStatsd client to a DogStatsD stand-in on loopback (UDP)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from aiohttp import web

from server import __version__
from server.app import create_app
from server.jobs.metrics_sampler import report_pool
from server.keys import METRICS, PG_POOL
from server.metrics import (
    DB_POOL_IN_USE,
    DB_POOL_MAX,
    DB_POOL_SATURATION,
    DB_POOL_WAITING,
    EVENT_LOOP_LAG,
    HTTP_DURATION,
    HTTP_REQUESTS,
    MAIL_LAG,
    MAIL_PENDING,
    MAIL_RETRYING,
    OUTBOX_LAG,
    OUTBOX_PENDING,
    route_tag,
)
from server.settings import Settings
from server.stores.backlogs import mail_backlog, outbox_backlog

REQUESTS = f"classconnect.{HTTP_REQUESTS}"
DURATION = f"classconnect.{HTTP_DURATION}"


async def probe(request: web.Request) -> web.Response:
    return web.json_response({"item": request.match_info["item_id"]})


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("kaput")


async def block(request: web.Request) -> web.Response:
    time.sleep(0.5)  # noqa: ASYNC251 - deliberately blocks the event loop: what the lag gauge must catch
    return web.json_response({})


@pytest.fixture
def metrics_settings(settings: Settings, fake_dogstatsd) -> Settings:
    return settings.model_copy(
        update={
            "dd_agent_host": "127.0.0.1",
            "dd_dogstatsd_port": fake_dogstatsd.port,
            "dd_env": "test",
            "metrics_interval_seconds": 0.2,
        }
    )


@pytest.fixture
async def metrics_client(aiohttp_client, metrics_settings, clock):
    app = create_app(metrics_settings, clock=clock)
    app.router.add_get("/probe/{item_id}", probe)
    app.router.add_get("/boom", boom)
    app.router.add_get("/block", block)
    return await aiohttp_client(app)


def requests_for(agent, route: str) -> list:
    return [s for s in agent.named(REQUESTS) if s.tag("route") == route]


async def test_a_request_is_counted_and_timed_by_its_route_not_its_path(
    metrics_client, fake_dogstatsd
):
    for item in ("abc-123", "xyz-789"):
        assert (await metrics_client.get(f"/probe/{item}")).status == 200

    counted = await fake_dogstatsd.wait_for(
        lambda s: s.name == REQUESTS and s.tag("route") == "/probe/:item_id", count=2
    )
    assert [(s.type, s.value) for s in counted] == [("c", 1.0), ("c", 1.0)]
    sample = counted[0]
    assert (sample.tag("method"), sample.tag("status"), sample.tag("status_class")) == (
        "GET",
        "200",
        "2xx",
    )
    assert (sample.tag("service"), sample.tag("env"), sample.tag("version")) == (
        "classconnect",
        "test",
        __version__,
    )
    timed = [s for s in fake_dogstatsd.named(DURATION) if s.tag("route") == "/probe/:item_id"]
    assert len(timed) == 2 and all(s.type == "d" and 0 < s.value < 5000 for s in timed)
    # The raw path never becomes a tag (one series per route, however many ids there are).
    assert not [s for s in fake_dogstatsd.samples if any("abc-123" in t for t in s.tags)]
    assert fake_dogstatsd.malformed == []


async def test_errors_and_unknown_paths_are_counted_with_their_status(
    metrics_client, fake_dogstatsd
):
    assert (await metrics_client.get("/boom")).status == 500
    assert (await metrics_client.get("/no/such/thing/42")).status == 404
    assert (await metrics_client.post("/healthz")).status == 405

    [failed] = await fake_dogstatsd.wait_for(
        lambda s: s.name == REQUESTS and s.tag("route") == "/boom"
    )
    assert (failed.tag("status"), failed.tag("status_class")) == ("500", "5xx")
    unmatched = await fake_dogstatsd.wait_for(
        lambda s: s.name == REQUESTS and s.tag("route") == "unmatched", count=2
    )
    assert sorted((s.tag("method"), s.tag("status")) for s in unmatched) == [
        ("GET", "404"),
        ("POST", "405"),
    ]


async def test_a_blocked_event_loop_shows_in_the_lag_gauge(metrics_client, fake_dogstatsd):
    lag = f"classconnect.{EVENT_LOOP_LAG}"
    await fake_dogstatsd.wait_for(lambda s: s.name == lag)  # the sampler is running
    assert (await metrics_client.get("/block")).status == 200
    [worst] = await fake_dogstatsd.wait_for(lambda s: s.name == lag and s.value >= 250)
    assert worst.type == "g" and worst.value < 5000


async def test_a_database_that_hangs_does_not_stop_the_lag_and_pool_gauges(
    metrics_client, fake_dogstatsd
):
    lag, in_use = f"classconnect.{EVENT_LOOP_LAG}", f"classconnect.{DB_POOL_IN_USE}"
    pool = metrics_client.app[PG_POOL]
    async with AsyncExitStack() as held:
        # Every connection taken: the backlog queries wait for one for as long as this lasts.
        for _ in range(pool.get_max_size()):
            await held.enter_async_context(pool.acquire())
        seen = len(fake_dogstatsd.named(lag))
        await fake_dogstatsd.wait_for(lambda s: s.name == lag, count=seen + 5)
        most = pool.get_max_size()
        await fake_dogstatsd.wait_for(lambda s: s.name == in_use and s.value == most)


async def test_pool_and_backlog_gauges(metrics_client, fake_dogstatsd, db, clock):
    # Not due for a day, so the mailer leaves it alone: it stays pending, and it has failed once.
    await db.execute(
        "INSERT INTO mail_queue (id, to_address, template, params, created_at, attempts, "
        "next_attempt_at) VALUES ($1, 'a@example.com', 'pin', '{}', $2, 1, $3)",
        uuid.uuid4(),
        clock.now() - timedelta(seconds=300),
        clock.now() + timedelta(days=1),
    )

    def latest(name: str) -> float:
        return fake_dogstatsd.named(f"classconnect.{name}")[-1].value

    await fake_dogstatsd.wait_for(
        lambda s: s.name == f"classconnect.{MAIL_PENDING}" and s.value == 1
    )
    assert (latest(MAIL_RETRYING), latest(MAIL_LAG)) == (1, 300)
    assert latest(DB_POOL_MAX) == 5
    assert 0 <= latest(DB_POOL_SATURATION) <= 1
    await fake_dogstatsd.wait_for(lambda s: s.name == f"classconnect.{OUTBOX_PENDING}")
    assert latest(OUTBOX_LAG) >= 0


async def test_requests_waiting_for_a_connection_show_in_the_pool_gauges(
    metrics_client, fake_dogstatsd
):
    app = metrics_client.app
    pool = app[PG_POOL]
    waiting = f"classconnect.{DB_POOL_WAITING}"
    async with AsyncExitStack() as stack:
        for _ in range(pool.get_max_size()):
            await stack.enter_async_context(pool.acquire())
        waiter = asyncio.create_task(stack.enter_async_context(pool.acquire()))
        await asyncio.sleep(0.05)  # queued
        # Sampled here rather than by the sampler, whose backlog queries wait for a connection.
        report_pool(app, app[METRICS])
        (sample, *_) = await fake_dogstatsd.wait_for(lambda s: s.name == waiting and s.value)
        assert sample.type == "g" and sample.value >= 1  # the sampler may be waiting too
        saturation = fake_dogstatsd.named(f"classconnect.{DB_POOL_SATURATION}")[-1]
        assert saturation.value == 1
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)


async def test_backlog_queries_count_only_what_is_pending(db, clean_tables, clock):
    now = clock.now()
    for age, relayed in ((90, False), (30, False), (500, True)):
        await db.execute(
            "INSERT INTO outbox (id, type, streams, data, occurred_at, relayed_at) "
            "VALUES ($1, 'probe.x', '{global}', '{}', $2, $3)",
            uuid.uuid4(),
            now - timedelta(seconds=age),
            now if relayed else None,
        )
    for age, attempts, sent in ((600, 0, False), (60, 3, False), (900, 1, True)):
        await db.execute(
            "INSERT INTO mail_queue (id, to_address, template, params, created_at, attempts, "
            "next_attempt_at, sent_at) VALUES ($1, 'a@example.com', 'pin', '{}', $2, $3, $2, $4)",
            uuid.uuid4(),
            now - timedelta(seconds=age),
            attempts,
            now if sent else None,
        )

    outbox = await outbox_backlog(db, now=now)
    mail = await mail_backlog(db, now=now)
    assert (outbox.pending, outbox.oldest_age_seconds) == (2, 90)
    assert (mail.pending, mail.retrying, mail.oldest_age_seconds) == (2, 1, 600)


async def test_empty_queues_report_no_lag(db, clean_tables, clock):
    outbox = await outbox_backlog(db, now=clock.now())
    assert (outbox.pending, outbox.oldest_age_seconds) == (0, 0)


async def test_without_an_agent_metrics_are_off_and_serve_says_so(aiohttp_client, app, caplog):
    # `app` is built from the default test settings: no DD_AGENT_HOST.
    with caplog.at_level(logging.INFO, logger="classconnect"):
        client = await aiohttp_client(app)
    assert any("metrics are off" in r.getMessage() for r in caplog.records)
    assert client.app[METRICS].enabled is False
    assert (await client.get("/healthz")).status == 200


def test_route_tags_survive_datadog_tag_rules():
    assert route_tag("/courses/{course_id}/modules/{module_id}") == (
        "/courses/:course_id/modules/:module_id"
    )
    assert route_tag("/files/{key:.+}") == "/files/:key"
    assert route_tag(None) == "unmatched"
