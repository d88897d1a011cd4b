"""Presence-aware push: while the user has a live socket (a real Socket.IO client), a push
waits the grace and is skipped as `read_in_app` if the notification was read meanwhile."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server.keys import CLOCK
from server.stores.presence import PRESENCE
from tests.delivery_helpers import (
    add_device,
    all_in,
    delivery,
    enqueue,
    held,
    new_delivery,
    online,
    settle,
    with_providers,
)


@pytest.fixture
def settings(settings, fcm):
    settings.push_grace_seconds = 60
    return with_providers(settings, fcm=fcm)


async def test_a_push_to_someone_online_waits_and_is_skipped_once_read(
    client, sockets, users, db, mongo, fcm
):
    clock = client.app[CLOCK]
    ana = await users.create("Ana")
    await add_device(db, ana.id, "ana-phone", seen=clock.now())
    await sockets().connect(ana.token)
    await online(mongo, ana.id)
    read_it = new_delivery(ana.id, "push", now=clock.now(), title="Leída")
    unread = new_delivery(ana.id, "push", now=clock.now(), title="Sin leer")
    ids = await enqueue(mongo, read_it, unread)
    docs = await held(mongo, ids)
    assert {d["hold"] for d in docs} == {"grace"}
    assert {d["not_before"] for d in docs} == {clock.now() + timedelta(seconds=60)}
    # The inbox side marks the first read (its `notifications` document, `read_at`).
    await mongo["notifications"].insert_one(
        {"_id": read_it.notification_id, "user_id": str(ana.id), "read_at": clock.now()}
    )
    await mongo["notifications"].insert_one(
        {"_id": unread.notification_id, "user_id": str(ana.id), "read_at": None}
    )
    clock.advance(timedelta(seconds=59))
    await asyncio.sleep(0.25)
    assert fcm.sent == []
    clock.advance(timedelta(seconds=1))
    found = await settle(mongo, ids, all_in("sent", "skipped"))
    assert found == {str(read_it.id): "skipped", str(unread.id): "sent"}
    assert (await delivery(mongo, str(read_it.id)))["reason"] == "read_in_app"
    assert [s["message"]["notification"]["title"] for s in fcm.sent] == ["Sin leer"]


async def test_offline_users_get_their_push_at_once(client, sockets, users, db, mongo, fcm):
    clock = client.app[CLOCK]
    ana = await users.create("Ana")
    await add_device(db, ana.id, "ana-phone", seen=clock.now())
    socket = await sockets().connect(ana.token)
    await online(mongo, ana.id)
    await socket.close()
    await online(mongo, ana.id, present=False)  # the last socket left: the record is gone
    ids = await enqueue(mongo, new_delivery(ana.id, "push", now=clock.now()))
    await settle(mongo, ids, all_in("sent"))
    assert "hold" not in await delivery(mongo, ids[0])


async def test_presence_of_a_silent_process_goes_stale(client, users, db, mongo, fcm):
    # A process that died left a record; its heartbeat stopped 61 s ago (3 beats of 20 s).
    clock = client.app[CLOCK]
    ana = await users.create("Ana")
    await add_device(db, ana.id, "ana-phone", seen=clock.now())
    await mongo[PRESENCE].insert_one(
        {"_id": f"{ana.id}:gone", "user_id": str(ana.id), "instance": "gone",
         "seen_at": clock.now() - timedelta(seconds=61)}
    )  # fmt: skip
    ids = await enqueue(mongo, new_delivery(ana.id, "push", now=clock.now()))
    await settle(mongo, ids, all_in("sent"))
