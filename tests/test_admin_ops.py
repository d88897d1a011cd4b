"""GET /admin/metrics (request rate and p95 from every process's window, deliveries of the last
hour, relay and consumer lag, per-process CPU and memory) and GET /admin/deliveries."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from server.domain.deliveries import NewDelivery, delivery_id
from server.keys import CLOCK, MONGO_DB, PROCESS_PROBE
from server.stores import admin_metrics, deliveries
from tests.admin_helpers import ADMIN_API


def delivery(user_id: uuid.UUID, n: int, *, channel: str, at) -> NewDelivery:
    return NewDelivery(
        id=delivery_id(f"event-{n}", user_id, channel), event_id=f"event-{n}",
        notification_id=f"n-{n}", user_id=user_id, channel=channel, type="grade.published",
        critical=False, mode="immediate", locale="en", title=f"Grade {n}", body="Body",
        data={}, course_id=None, created_at=at,
    )  # fmt: skip


async def test_metrics_add_up_every_process(client, admins, app, mongo, clock):
    admin = await admins.create()
    for _ in range(5):
        assert (await client.get("/healthz")).status == 200
    now = clock.now()
    # Another process's fresh sample, and a stale one that no longer counts.
    histogram = [0] * 75
    histogram[40] = 7  # 7 requests near 0.1 * 1.2^40 ms = 147 ms
    other = {"_id": "other", "host": "h2", "pid": 2, "at": now, "sockets": 3,
             "histogram": histogram, "cpu_percent": 12.5, "rss_bytes": 1000}  # fmt: skip
    stale = {**other, "_id": "stale", "at": now - timedelta(minutes=5), "sockets": 100}
    for sample in (other, stale):
        await admin_metrics.put_sample(app[MONGO_DB], sample)
    user = uuid.uuid4()
    await deliveries.enqueue(app[MONGO_DB], [
        delivery(user, n, channel="email", at=now - timedelta(minutes=10)) for n in range(4)
    ])  # fmt: skip
    await mongo.notification_deliveries.update_many({}, {"$set": {"status": "sent"}})
    await mongo.notification_deliveries.update_one(
        {"event_id": "event-0"}, {"$set": {"status": "dead"}}
    )
    await mongo.notification_deliveries.update_one(
        {"event_id": "event-1"},
        {"$set": {"status": "failed", "updated_at": now - timedelta(hours=2)}},
    )

    resp = await client.get(f"{ADMIN_API}/metrics", headers=admin.headers)
    assert resp.status == 200, await resp.text()
    figures = await resp.json()
    mine = app[PROCESS_PROBE].id
    assert {p["id"] for p in figures["processes"]} == {mine, "other"}
    assert figures["live_sockets"] == 3  # nobody is connected to this process
    this = next(p for p in figures["processes"] if p["id"] == mine)
    assert this["requests_per_minute"] == 5  # the health checks (this request is not done yet)
    assert this["rss_bytes"] > 10_000_000
    assert figures["requests_per_minute"] == this["requests_per_minute"] + 7
    assert figures["p95_latency_ms"] is not None
    assert figures["deliveries_last_hour"] == {"sent": 2, "failed": 1}
    assert figures["outbox"]["pending"] >= 0
    assert set(figures["consumers"]) >= {"audit", "notifications"}
    assert app[CLOCK].now() == now


async def test_deliveries_filter_and_page(client, admins, app, clock):
    admin = await admins.create()
    ana, bob = uuid.uuid4(), uuid.uuid4()
    now = clock.now()
    await deliveries.enqueue(app[MONGO_DB], [
        *(delivery(ana, n, channel="email", at=now - timedelta(minutes=n)) for n in range(3)),
        delivery(bob, 9, channel="push", at=now + timedelta(seconds=1)),
    ])  # fmt: skip

    async def page(**query):
        resp = await client.get(f"{ADMIN_API}/deliveries", params=query, headers=admin.headers)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    everything = await page()
    assert [d["title"] for d in everything["items"]] == ["Grade 9", "Grade 0", "Grade 1", "Grade 2"]
    assert "body" not in everything["items"][0]
    assert [d["title"] for d in (await page(user_id=str(ana), limit=2))["items"]] == [
        "Grade 0", "Grade 1"
    ]  # fmt: skip
    first = await page(user_id=str(ana), limit=2)
    rest = await page(user_id=str(ana), limit=2, cursor=first["next_cursor"])
    assert [d["title"] for d in rest["items"]] == ["Grade 2"] and rest["next_cursor"] is None
    assert [d["title"] for d in (await page(channel="push"))["items"]] == ["Grade 9"]
    assert (await page(status="sent"))["items"] == []


@pytest.mark.parametrize(
    "query", [{"status": "lost"}, {"channel": "fax"}, {"user_id": "me"}, {"cursor": "x"}]
)
async def test_bad_delivery_queries_are_422(client, admins, query):
    admin = await admins.create()
    resp = await client.get(f"{ADMIN_API}/deliveries", params=query, headers=admin.headers)
    assert resp.status == 422
