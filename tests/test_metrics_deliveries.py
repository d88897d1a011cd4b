"""Notification delivery backlog gauges: the store's query (on the `due` index) and the sampler's
gauges through the real DogStatsd client to the DogStatsD stand-in (as tests/test_metrics.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from server.app import create_app
from server.keys import DELIVERY_WORKER
from server.metrics import DELIVERIES_HELD, DELIVERIES_LAG, DELIVERIES_PENDING
from server.settings import Settings
from server.stores.deliveries import DELIVERIES
from server.stores.delivery_backlogs import (
    WAITING,
    delivery_backlogs,
    held_pipeline,
    pending_pipeline,
)
from server.stores.mongo_indexes import ensure_indexes


def delivery(n: int, channel: str, status: str, not_before: datetime, **extra: Any) -> dict:
    return {
        "_id": f"d{n}",
        "channel": channel,
        "status": status,
        "not_before": not_before,
        "user_id": f"u{n}",
        "created_at": not_before,
        **extra,
    }


def backlog_of(now: datetime) -> list[dict]:
    """Email: 3 due (the oldest due 600 s ago), 3 held; push: 1 due (45 s), 1 held. The rest
    is in flight, finished or not due yet for a retry, and counts nowhere."""
    s = timedelta(seconds=1)
    return [
        delivery(1, "email", "queued", now - 600 * s),
        delivery(2, "email", "queued", now - 30 * s, hold="quiet"),  # quiet hours over: due
        delivery(3, "email", "failed", now - 120 * s, attempts=1),  # its retry is due
        delivery(4, "email", "failed", now + 300 * s, attempts=2),  # retried later
        delivery(5, "email", "queued", now + 8 * 3600 * s, hold="digest"),
        delivery(6, "email", "queued", now + 3600 * s, hold="quiet"),
        delivery(7, "email", "queued", now + 3600 * s, hold="quiet"),
        delivery(8, "push", "queued", now - 45 * s),
        delivery(9, "push", "queued", now + 60 * s, hold="grace"),
        delivery(10, "push", "sending", now - 900 * s, lease_until=now + 60 * s),
        delivery(11, "push", "sent", now - 900 * s),
        delivery(12, "email", "skipped", now - 900 * s, reason="preference_off"),
        delivery(13, "email", "dead", now - 900 * s),
    ]


async def test_the_backlog_counts_due_and_held_deliveries_and_the_oldest_due_per_channel(
    mongo, clock
):
    await ensure_indexes(mongo)
    now = clock.now()
    empty = await delivery_backlogs(mongo, now=now)
    assert {
        c: (b.pending, b.oldest_due_age_seconds, sum(b.held.values())) for c, b in empty.items()
    } == {"email": (0, 0, 0), "push": (0, 0, 0)}
    await mongo[DELIVERIES].insert_many(backlog_of(now))

    found = await delivery_backlogs(mongo, now=now)
    email, push = found["email"], found["push"]
    assert (email.pending, email.oldest_due_age_seconds) == (3, 600)
    assert email.held == {"quiet": 2, "digest": 1, "grace": 0}
    assert (push.pending, push.oldest_due_age_seconds) == (1, 45)
    assert push.held == {"quiet": 0, "digest": 0, "grace": 1}
    # An hour later the held quiet emails and the push grace are due, the digest still held,
    # and the retried email's time has come.
    later = await delivery_backlogs(mongo, now=now + timedelta(hours=1))
    assert (later["email"].pending, later["email"].held["digest"]) == (6, 1)
    assert (later["push"].pending, later["push"].oldest_due_age_seconds) == (2, 3645)


async def test_the_backlog_queries_ride_the_due_index(mongo, clock):
    await ensure_indexes(mongo)
    await mongo[DELIVERIES].insert_many(backlog_of(clock.now()))
    pipelines = [pending_pipeline(s, clock.now()) for s in WAITING] + [held_pipeline(clock.now())]
    for pipeline in pipelines:
        plan = await mongo.command(
            {"aggregate": DELIVERIES, "pipeline": pipeline, "explain": True, "cursor": {}}
        )
        text = json.dumps(plan, default=str)
        assert '"indexName": "due"' in text and "COLLSCAN" not in text, text


@pytest.fixture
async def metrics_client(aiohttp_client, settings: Settings, fake_dogstatsd, clock):
    settings = settings.model_copy(
        update={
            "dd_agent_host": "127.0.0.1",
            "dd_dogstatsd_port": fake_dogstatsd.port,
            "dd_env": "test",
            "metrics_interval_seconds": 0.2,
        }
    )
    client = await aiohttp_client(create_app(settings, clock=clock))
    # The worker would take the due deliveries this test plants (its clock is the test's).
    await client.app[DELIVERY_WORKER].stop()
    return client


async def test_the_sampler_reports_delivery_backlogs_by_channel_and_hold(
    metrics_client, fake_dogstatsd, mongo, clock
):
    pending, lag, held = (
        f"classconnect.{n}" for n in (DELIVERIES_PENDING, DELIVERIES_LAG, DELIVERIES_HELD)
    )
    # Before anything waits, both channels read 0 (a cleared backlog must not keep its value).
    await fake_dogstatsd.wait_for(lambda s: s.name == pending and s.tag("channel") == "push")
    assert {(s.tag("channel"), s.value) for s in fake_dogstatsd.named(pending)} == {
        ("email", 0),
        ("push", 0),
    }
    await mongo[DELIVERIES].insert_many(backlog_of(clock.now()))

    # The store's insert_many is not one atomic write: a tick that lands mid-insert reads part
    # of the backlog. Each gauge must settle on the whole backlog's value.
    async def settles(name: str, value: float, **tags: str) -> None:
        def match(s) -> bool:
            return s.name == name and all(s.tag(k) == v for k, v in tags.items())

        found = await fake_dogstatsd.wait_for(lambda s: match(s) and s.value == value)
        assert {s.type for s in found} == {"g"}

    await settles(pending, 3, channel="email")
    await settles(lag, 600, channel="email")
    await settles(held, 2, channel="email", hold="quiet")
    await settles(held, 1, channel="push", hold="grace")
    await settles(lag, 45, channel="push")
