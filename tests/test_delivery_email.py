"""Email deliveries end to end: the app's delivery worker, brevo-python's AsyncBrevo and the
local Brevo server (batches, idempotency keys, 400/401/429/5xx)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

import pytest

from server.keys import CLOCK
from tests.delivery_helpers import (
    all_in,
    delivery,
    enqueue,
    logged,
    new_delivery,
    settle,
    with_providers,
)
from tests.fakes.brevo import FakeBrevo


@pytest.fixture
def settings(settings, brevo: FakeBrevo):
    return with_providers(settings, brevo=brevo)


def email_to(address: str, client, **kw):
    return new_delivery(uuid.uuid4(), "email", now=client.app[CLOCK].now(), email=address, **kw)


async def test_an_email_goes_out_once_keyed_by_its_delivery_id(
    client, brevo, mongo, delivery_worker
):
    [d] = await enqueue(mongo, email_to("ana@example.com", client, course_title="Física I"))
    await settle(mongo, [d], all_in("sent"))
    [message] = brevo.accepted
    assert message["headers"] == {"idempotencyKey": d}
    assert message["to"] == [{"email": "ana@example.com"}]
    assert message["subject"] == "Nueva nota"
    assert "Tarea 1: 9/10" in message["textContent"] and "Tarea 1: 9/10" in message["htmlContent"]
    assert "preferencias" in message["textContent"]  # Spanish by default
    assert message["tags"] == ["grade.published"]
    doc = await delivery(mongo, d)
    assert doc["attempts"] == 1 and doc["sent_at"] == client.app[CLOCK].now()
    assert doc["provider"]["message_id"] == message["messageId"]
    assert [e["outcome"] for e in doc["log"]] == ["sent"]
    assert "batch" not in doc and "lease_until" not in doc


async def test_english_by_locale(client, brevo, mongo, delivery_worker):
    [d] = await enqueue(
        mongo, email_to("bob@example.com", client, locale="en", title="New grade", body="9/10")
    )
    await settle(mongo, [d], all_in("sent"))
    [message] = brevo.delivered
    assert message["subject"] == "New grade" and "preferences" in message["textContent"]


async def test_many_emails_go_in_batches(client, brevo, mongo, delivery_worker):
    delivery_worker.email_batch_size = 20  # 1,000 in production; bench/notifications sends 10,000
    ids = await enqueue(
        mongo, *(email_to(f"u{i}@example.com", client, body=f"n{i}") for i in range(46))
    )
    await settle(mongo, ids, all_in("sent"), within=30)
    assert brevo.requests == 3  # 20 + 20 + 6
    sizes = sorted(len(m.get("messageVersions") or [0]) for m in brevo.accepted)
    assert sizes == [6, 20, 20]
    keys = {m["headers"]["idempotencyKey"] for m in brevo.accepted}
    assert len(keys) == 3 and not keys & set(ids)  # a batch's own key
    assert len(brevo.delivered) == 46
    assert len({d["to"] for d in brevo.delivered}) == 46
    by_to = {d["to"]: d for d in brevo.delivered}
    assert "n17" in by_to["u17@example.com"]["textContent"]  # each version its own content


async def test_a_400_ends_dead_alone_and_is_logged(client, brevo, mongo, delivery_worker, caplog):
    caplog.set_level(logging.WARNING, logger="classconnect.deliveries")
    good = [email_to(f"ok{i}@example.com", client) for i in range(4)]
    bad = email_to("not-an-address", client)
    ids = await enqueue(mongo, *good, bad)
    found = await settle(mongo, ids, all_in("sent", "dead"))
    assert found[str(bad.id)] == "dead"
    assert [found[str(g.id)] for g in good] == ["sent"] * 4
    assert sorted(d["to"] for d in brevo.delivered) == sorted(g.email for g in good)
    doc = await delivery(mongo, str(bad.id))
    assert "400" in doc["last_error"] or "not valid" in doc["last_error"]
    await logged(caplog, lambda r: "dead" in r.getMessage() and str(bad.id) in str(r.deliveries))


async def test_a_429_waits_for_the_rate_limit_reset(client, brevo, mongo, delivery_worker):
    brevo.rate_limit_reset = 120
    brevo.fail_next(429)
    clock = client.app[CLOCK]
    [d] = await enqueue(mongo, email_to("ana@example.com", client))
    await settle(mongo, [d], all_in("failed"))
    doc = await delivery(mongo, d)
    assert doc["not_before"] == clock.now() + timedelta(seconds=120)  # jitter would be 15 s
    clock.advance(timedelta(seconds=119))
    await asyncio.sleep(0.2)
    assert brevo.requests == 1
    clock.advance(timedelta(seconds=1))
    await settle(mongo, [d], all_in("sent"))
    assert brevo.requests == 2 and len(brevo.delivered) == 1
    assert (await delivery(mongo, d))["attempts"] == 2


@pytest.mark.parametrize("failure", [401, 500, 503])
async def test_outages_back_off_with_jitter_and_retry(
    client, brevo, mongo, delivery_worker, failure
):
    brevo.fail_next(failure, failure)
    clock = client.app[CLOCK]
    [d] = await enqueue(mongo, email_to("ana@example.com", client))
    await settle(mongo, [d], all_in("failed"))
    # Full jitter with the draw at 0.5: half of 30 s, then half of 60 s.
    assert (await delivery(mongo, d))["not_before"] == clock.now() + timedelta(seconds=15)
    clock.advance(timedelta(seconds=15))
    await settle(mongo, [d], lambda f: brevo.requests == 2 and f[d] == "failed")
    assert (await delivery(mongo, d))["not_before"] == clock.now() + timedelta(seconds=30)
    clock.advance(timedelta(seconds=30))
    await settle(mongo, [d], all_in("sent"))
    doc = await delivery(mongo, d)
    assert doc["attempts"] == 3 and [e["outcome"] for e in doc["log"]] == [
        "failed",
        "failed",
        "sent",
    ]
    assert str(failure) in doc["log"][0]["error"]
    assert len(brevo.delivered) == 1
