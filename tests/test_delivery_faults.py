"""Faults: the local Brevo and FCM fail 30% of calls with 429 or 503, and every delivery still
arrives, once; addresses Brevo refuses (400) end `dead` and show in the log."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta

import pytest

from server.keys import CLOCK
from tests.delivery_helpers import (
    add_device,
    enqueue,
    logged,
    make_user,
    new_delivery,
    statuses,
    with_providers,
)


@pytest.fixture
def settings(settings, brevo, fcm):
    settings.delivery_email_batch_size = 10  # many calls, so many faults
    return with_providers(settings, brevo=brevo, fcm=fcm)


async def test_thirty_percent_faults_delay_but_never_lose_or_repeat(
    client, brevo, fcm, mongo, db, caplog
):
    caplog.set_level(logging.WARNING, logger="classconnect.deliveries")
    brevo.fault_rate = fcm.fault_rate = 0.3
    clock = client.app[CLOCK]
    now = clock.now()
    emails = [
        new_delivery(await make_user(db, now), "email", now=now, email=f"u{i}@example.com")
        for i in range(120)
    ]
    bad = [
        new_delivery(await make_user(db, now), "email", now=now, email=f"broken{i}")
        for i in range(3)
    ]
    pushes = []
    for i in range(60):
        user_id = await make_user(db, now)
        await add_device(db, user_id, f"device-{i}", seen=now)
        pushes.append(new_delivery(user_id, "push", now=now))
    ids = await enqueue(mongo, *emails, *bad, *pushes)

    found: dict[str, str] = {}
    for _ in range(300):  # each step is past the backoff cap: whatever failed is due again
        await asyncio.sleep(0.4)
        found = await statuses(mongo, ids)
        if all(s in ("sent", "dead") for s in found.values()):
            break
        clock.advance(timedelta(hours=1, seconds=1))
    counts = Counter(found.values())
    assert counts == {"sent": 180, "dead": 3}, counts
    assert all(found[str(b.id)] == "dead" for b in bad)

    faults = Counter(s for s in brevo.statuses + fcm.statuses if s in (429, 503))
    assert faults[429] > 5 and faults[503] > 5  # the faults did happen, of both kinds
    per_address = Counter(d["to"] for d in brevo.delivered)
    assert set(per_address) == {e.email for e in emails} and set(per_address.values()) == {1}
    per_token = Counter(s["message"]["token"] for s in fcm.sent)
    assert len(per_token) == 60 and set(per_token.values()) == {1}
    for b in bad:
        await logged(caplog, lambda r, b=b: str(b.id) in str(getattr(r, "deliveries", "")))
    retried = [d async for d in mongo["notification_deliveries"].find({"attempts": {"$gt": 1}})]
    assert retried and all(any(e["outcome"] == "failed" for e in d["log"]) for d in retried)
