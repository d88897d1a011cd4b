"""Push deliveries end to end: the app's delivery worker, pyfcm's payloads and OAuth, and the
local FCM server (per-device fan-out, dead tokens, Retry-After, configuration errors)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

import pytest

from server.keys import CLOCK
from tests.delivery_helpers import (
    add_device,
    all_in,
    delivery,
    enqueue,
    make_user,
    new_delivery,
    settle,
    with_providers,
)
from tests.fakes.fcm import FakeFcm


@pytest.fixture
def settings(settings, fcm: FakeFcm):
    return with_providers(settings, fcm=fcm)


async def user_with(db, clock, *tokens: str) -> uuid.UUID:
    user_id = await make_user(db, clock.now())
    for token in tokens:
        await add_device(db, user_id, token, seen=clock.now())
    return user_id


async def test_a_push_goes_to_every_device_of_the_user(client, fcm, mongo, db, delivery_worker):
    clock = client.app[CLOCK]
    user_id = await user_with(db, clock, "phone", "tablet")
    item = new_delivery(user_id, "push", now=clock.now(), course_id=str(uuid.uuid4()))
    [d] = await enqueue(mongo, item)
    await settle(mongo, [d], all_in("sent"))
    assert sorted(s["message"]["token"] for s in fcm.sent) == ["phone", "tablet"]
    message = fcm.sent_to("phone")[0]
    assert message["notification"] == {"title": "Nueva nota", "body": "Tarea 1: 9/10"}
    assert message["data"]["delivery_id"] == d
    assert message["data"]["notification_id"] == item.notification_id
    assert message["data"]["course_id"] == item.course_id
    doc = await delivery(mongo, d)
    assert doc["provider"]["devices"] == 2 and doc["attempts"] == 1


async def test_dead_tokens_are_deleted_and_the_rest_still_served(
    client, fcm, mongo, db, delivery_worker
):
    clock = client.app[CLOCK]
    fcm.unregistered.add("old-phone")
    both = await user_with(db, clock, "old-phone", "new-phone")
    only_dead = await user_with(db, clock, "gone")
    fcm.unregistered.add("gone")
    ids = await enqueue(
        mongo,
        new_delivery(both, "push", now=clock.now()),
        new_delivery(only_dead, "push", now=clock.now()),
    )
    found = await settle(mongo, ids, all_in("sent", "dead"))
    assert found == {ids[0]: "sent", ids[1]: "dead"}
    assert "UNREGISTERED" in (await delivery(mongo, ids[1]))["last_error"]
    left = await db.fetch("SELECT token FROM devices ORDER BY token")
    assert [r["token"] for r in left] == ["new-phone"]


async def test_a_malformed_token_is_dropped_as_dead(client, fcm, mongo, db, delivery_worker):
    clock = client.app[CLOCK]
    fcm.failures.append("INVALID_TOKEN")
    user_id = await user_with(db, clock, "garbage")
    [d] = await enqueue(mongo, new_delivery(user_id, "push", now=clock.now()))
    await settle(mongo, [d], all_in("dead"))
    assert await db.fetchval("SELECT count(*) FROM devices") == 0


@pytest.mark.parametrize("failure", ["QUOTA_EXCEEDED", "UNAVAILABLE"])
async def test_retry_after_is_honoured(client, fcm, mongo, db, delivery_worker, failure):
    clock = client.app[CLOCK]
    fcm.failures.append(failure)
    fcm.retry_after = 100  # the jitter alone would wait 15 s
    user_id = await user_with(db, clock, "phone")
    [d] = await enqueue(mongo, new_delivery(user_id, "push", now=clock.now()))
    await settle(mongo, [d], all_in("failed"))
    assert (await delivery(mongo, d))["not_before"] == clock.now() + timedelta(seconds=100)
    clock.advance(timedelta(seconds=99))
    await asyncio.sleep(0.2)
    assert fcm.sent == []
    clock.advance(timedelta(seconds=1))
    await settle(mongo, [d], all_in("sent"))
    assert len(fcm.sent) == 1


async def test_a_retry_goes_only_to_the_devices_not_yet_reached(
    client, fcm, mongo, db, delivery_worker
):
    clock = client.app[CLOCK]
    user_id = await user_with(db, clock, "a", "b")
    fcm.failures.append("UNAVAILABLE")  # one of the two concurrent sends
    [d] = await enqueue(mongo, new_delivery(user_id, "push", now=clock.now()))
    await settle(mongo, [d], all_in("failed"))
    [reached] = [s["message"]["token"] for s in fcm.sent]
    assert (await delivery(mongo, d))["done_tokens"] == [reached]
    clock.advance(timedelta(seconds=60))
    await settle(mongo, [d], all_in("sent"))
    assert sorted(s["message"]["token"] for s in fcm.sent) == ["a", "b"]  # each once


@pytest.mark.parametrize("failure", ["SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR"])
async def test_configuration_errors_are_dead_and_logged_once_per_burst(
    client, fcm, mongo, db, delivery_worker, caplog, failure
):
    caplog.set_level(logging.INFO, logger="classconnect.deliveries")
    clock = client.app[CLOCK]
    fcm.failures.extend([failure] * 5)
    users = [await user_with(db, clock, f"t{i}") for i in range(5)]
    ids = await enqueue(mongo, *(new_delivery(u, "push", now=clock.now()) for u in users))
    await settle(mongo, ids, all_in("dead"))
    await asyncio.sleep(0.2)
    assert fcm.statuses.count(403 if failure == "SENDER_ID_MISMATCH" else 401) == 5  # no retries
    errors = [r for r in caplog.records if "configuration" in r.getMessage()]
    assert len(errors) == 1 and failure in errors[0].error
    assert await db.fetchval("SELECT count(*) FROM devices") == 5  # the tokens are fine


async def test_no_device_is_skipped_and_stale_tokens_are_not_used(
    client, fcm, mongo, db, delivery_worker
):
    clock = client.app[CLOCK]
    none = await make_user(db, clock.now())
    stale = await make_user(db, clock.now())
    await add_device(db, stale, "old", seen=clock.now() - timedelta(days=271))
    fresh = await make_user(db, clock.now())
    await add_device(db, fresh, "recent", seen=clock.now() - timedelta(days=269))
    ids = await enqueue(
        mongo, *(new_delivery(u, "push", now=clock.now()) for u in (none, stale, fresh))
    )
    found = await settle(mongo, ids, all_in("sent", "skipped"))
    assert [found[i] for i in ids] == ["skipped", "skipped", "sent"]
    assert {(await delivery(mongo, i))["reason"] for i in ids[:2]} == {"no_device"}
    # The worker's own periodic pass may have pruned it first: what matters is what is left.
    await delivery_worker.prune_devices()
    assert [r["token"] for r in await db.fetch("SELECT token FROM devices")] == ["recent"]
