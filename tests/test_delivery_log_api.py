"""GET /api/v1/notifications/deliveries: each user's own log, filtered and paged; and, with no
provider credentials, email and push land in DATA_DIR's outbox folders."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from server.keys import CLOCK, DELIVERY_WORKER
from tests.delivery_helpers import add_device, all_in, enqueue, new_delivery, settle

URL = "/api/v1/notifications/deliveries"


async def test_without_credentials_email_and_push_go_to_the_outbox_folders(
    client, users, db, mongo, settings
):
    clock = client.app[CLOCK]
    ana = await users.create("Ana")
    await add_device(db, ana.id, "ana-phone", seen=clock.now())
    email = new_delivery(ana.id, "email", now=clock.now(), email=ana.email, title="Hola")
    push = new_delivery(ana.id, "push", now=clock.now(), title="Hola push")
    await enqueue(mongo, email, push)
    await settle(mongo, [str(email.id), str(push.id)], all_in("sent"))
    [mail_file] = (settings.data_dir / "outbox").glob("*.json")
    written = json.loads(mail_file.read_text())
    assert written["to"] == ana.email and written["subject"] == "Hola"
    assert written["batch"] == str(email.id)  # named by its key: a repeat rewrites the same file
    [push_file] = (settings.data_dir / "push-outbox").glob("*.json")
    assert json.loads(push_file.read_text())["title"] == "Hola push"

    resp = await client.get(URL, headers=ana.headers)
    assert resp.status == 200
    items = (await resp.json())["items"]
    assert {i["id"]: (i["status"], i["provider"]["transport"]) for i in items} == {
        str(email.id): ("sent", "outbox"),
        str(push.id): ("sent", "push-outbox"),
    }
    assert items[0]["log"][0]["outcome"] == "sent" and items[0]["attempts"] == 1


@pytest.fixture
async def log_of_ana(client, users, mongo):
    """Ana has 5 emails and 2 pushes (one skipped), Bob 1 email; no worker runs."""
    await client.app[DELIVERY_WORKER].stop()
    clock = client.app[CLOCK]
    ana, bob = await users.create("Ana"), await users.create("Bob")
    start = clock.now()
    items = [
        new_delivery(ana.id, "email", now=start + timedelta(minutes=i), email=ana.email)
        for i in range(5)
    ]
    items += [new_delivery(ana.id, "push", now=start + timedelta(minutes=10 + i)) for i in range(2)]
    items.append(new_delivery(bob.id, "email", now=start, email=bob.email))
    await enqueue(mongo, *items)
    await mongo["notification_deliveries"].update_one(
        {"_id": str(items[6].id)}, {"$set": {"status": "skipped", "reason": "preference_off"}}
    )
    return ana, bob, [str(i.id) for i in items]


async def test_each_user_sees_their_own_log_newest_first_in_pages(client, log_of_ana):
    ana, bob, ids = log_of_ana
    seen, cursor = [], None
    while True:
        resp = await client.get(URL, params={"limit": 3, **({"cursor": cursor} if cursor else {})},
                                headers=ana.headers)  # fmt: skip
        assert resp.status == 200
        page = await resp.json()
        seen += [i["id"] for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == list(reversed(ids[:7]))
    resp = await client.get(URL, headers=bob.headers)
    assert [i["id"] for i in (await resp.json())["items"]] == [ids[7]]


async def test_filters_by_channel_and_status(client, log_of_ana):
    ana, _, ids = log_of_ana
    resp = await client.get(URL, params={"channel": "push"}, headers=ana.headers)
    assert [i["id"] for i in (await resp.json())["items"]] == [ids[6], ids[5]]
    resp = await client.get(URL, params={"status": "skipped"}, headers=ana.headers)
    [skipped] = (await resp.json())["items"]
    assert (skipped["id"], skipped["reason"]) == (ids[6], "preference_off")
    resp = await client.get(
        URL, params={"channel": "email", "status": "queued"}, headers=ana.headers
    )
    page = await resp.json()
    assert len(page["items"]) == 5 and {
        i["next_attempt_at"] is not None for i in page["items"]
    } == {True}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"channel": "sms"}, "validation_failed"),
        ({"status": "lost"}, "validation_failed"),
        ({"limit": "0"}, "validation_failed"),
        ({"limit": "many"}, "validation_failed"),
        ({"colour": "red"}, "validation_failed"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
    ],
)
async def test_bad_filters_are_422(client, log_of_ana, params, code):
    ana, _, _ = log_of_ana
    resp = await client.get(URL, params=params, headers=ana.headers)
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == code and error["message"]


async def test_the_log_needs_a_signed_in_user(client):
    resp = await client.get(URL)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthenticated"
