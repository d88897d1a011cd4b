"""Digests, quiet hours and time zones through the running worker, with a ManualClock and the
local Brevo and FCM servers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from server.domain.notification_preferences import NotificationPreferences, QuietHours
from server.keys import DELIVERY_WORKER
from server.stores import notification_preferences
from tests.delivery_helpers import (
    add_device,
    all_in,
    delivery,
    enqueue,
    held,
    make_user,
    new_delivery,
    settle,
    with_providers,
)


@pytest.fixture
def settings(settings, brevo, fcm):
    return with_providers(settings, brevo=brevo, fcm=fcm)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def person(db, mongo, clock, *, tz="Europe/Madrid", quiet=None, locale="es"):
    user_id = await make_user(db, clock.now())
    await add_device(db, user_id, f"tok-{user_id.hex[:8]}", seen=clock.now())
    prefs = NotificationPreferences(locale=locale, timezone=tz, quiet_hours=quiet)
    await notification_preferences.save(mongo, user_id, prefs)
    return user_id


async def quietly(seconds: float = 0.25) -> None:
    await asyncio.sleep(seconds)  # several polls: nothing that is not due may go out


async def test_a_daily_digest_at_eight_local_groups_items_by_course(
    client, clock, brevo, mongo, db
):
    clock.set(utc(2026, 1, 5, 12, 0))  # 13:00 in Madrid
    ana = await person(db, mongo, clock)
    idle = await person(db, mongo, clock)  # nothing for her: no digest at all
    assert idle
    items = [
        new_delivery(
            ana,
            "email",
            now=clock.now() - timedelta(minutes=10 - i),  # in the order they happened
            email="ana@example.com",
            mode="daily_digest",
            title=title,
            body=body,
            course_title=course,
        )
        for i, (title, body, course) in enumerate(
            [
                ("Nueva tarea", "TP 1", "Física I"),
                ("Nota publicada", "8/10", "Química"),
                ("Tarea modificada", "TP 1 vence el viernes", "Física I"),
            ]
        )
    ]
    ids = await enqueue(mongo, *items)
    await held(mongo, ids)
    assert (await delivery(mongo, ids[0]))["hold"] == "digest"
    clock.set(utc(2026, 1, 6, 6, 59))
    await quietly()
    assert brevo.requests == 0
    clock.set(utc(2026, 1, 6, 7, 0))  # 08:00 CET
    await settle(mongo, ids, all_in("sent"))
    [email] = brevo.delivered
    assert email["to"] == "ana@example.com"
    assert email["subject"] == "Tu resumen diario de ClassConnect (3)"
    text = email["textContent"]
    assert text.index("Física I") < text.index("Química")
    assert "Física I\n- Nueva tarea: TP 1\n- Tarea modificada: TP 1 vence el viernes" in text
    providers = {(await delivery(mongo, i))["provider"]["message_id"] for i in ids}
    assert providers == {email["messageId"]}
    clock.set(utc(2026, 1, 7, 7, 0))
    await quietly()
    assert len(brevo.delivered) == 1  # nothing new: no empty digest


async def test_quiet_hours_hold_non_critical_items_and_summarise_more_than_three(
    client, clock, brevo, fcm, mongo, db
):
    clock.set(utc(2026, 1, 5, 22, 0))  # 23:00 in Madrid
    ana = await person(db, mongo, clock, quiet=QuietHours(start=time(22), end=time(7, 30)))
    now = clock.now()
    pushes = [new_delivery(ana, "push", now=now, title=f"Aviso {i}") for i in range(5)]
    emails = [new_delivery(ana, "email", now=now, email="ana@example.com") for _ in range(2)]
    critical = new_delivery(
        ana,
        "email",
        now=now,
        email="ana@example.com",
        critical=True,
        type="account.blocked",
        title="Cuenta bloqueada",
    )
    ids = await enqueue(mongo, *pushes, *emails, critical)
    await settle(mongo, [str(critical.id)], all_in("sent"))
    await quietly()
    assert [d["subject"] for d in brevo.delivered] == ["Cuenta bloqueada"]
    assert fcm.sent == []
    assert (await delivery(mongo, ids[0]))["not_before"] == utc(2026, 1, 6, 6, 30)
    clock.set(utc(2026, 1, 6, 6, 30))  # 07:30 CET
    await settle(mongo, ids, all_in("sent"))
    [summary] = fcm.sent
    assert summary["message"]["notification"]["body"] == "Tenés 5 notificaciones nuevas"
    assert len(brevo.delivered) == 3  # two held emails (not over three) one by one, + critical


@pytest.mark.parametrize(
    ("tz", "start", "not_yet", "release"),
    [
        # Madrid's clocks jump 02:00 -> 03:00 on 2026-03-29: quiet hours that began at 23:00
        # CET end at 08:00 CEST, 06:00Z, nine hours later rather than ten.
        ("Europe/Madrid", utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 5, 59), utc(2026, 3, 29, 6)),
        # And fall back on 2026-10-25: 23:00 CEST -> 08:00 CET, 07:00Z, eleven hours later.
        ("Europe/Madrid", utc(2026, 10, 24, 21, 0), utc(2026, 10, 25, 6, 59), utc(2026, 10, 25, 7)),
        # New York springs forward on 2026-03-08: 22:30 EST -> 08:00 EDT, 12:00Z.
        ("America/New_York", utc(2026, 3, 8, 3, 30), utc(2026, 3, 8, 11, 59), utc(2026, 3, 8, 12)),
    ],
)
async def test_quiet_hours_end_on_a_dst_change_day(
    client, clock, fcm, mongo, db, tz, start, not_yet, release
):
    clock.set(start)
    ana = await person(db, mongo, clock, tz=tz, quiet=QuietHours(start=time(22), end=time(8)))
    ids = await enqueue(mongo, new_delivery(ana, "push", now=clock.now()))
    [doc] = await held(mongo, ids)
    assert doc["not_before"] == release
    clock.set(not_yet)
    await quietly()
    assert fcm.sent == []
    clock.set(release)
    await settle(mongo, ids, all_in("sent"))
    assert len(fcm.sent) == 1


async def test_the_digest_follows_the_users_time_zone(client, clock, brevo, mongo, db):
    clock.set(utc(2026, 1, 5, 12, 0))
    madrid = await person(db, mongo, clock)
    baires = await person(db, mongo, clock, tz="America/Argentina/Buenos_Aires", locale="en")
    ids = await enqueue(
        mongo,
        new_delivery(madrid, "email", now=clock.now(), email="m@example.com", mode="daily_digest"),
        new_delivery(
            baires,
            "email",
            now=clock.now(),
            email="b@example.com",
            mode="daily_digest",
            locale="en",
        ),
    )
    await held(mongo, ids)
    clock.set(utc(2026, 1, 6, 7, 0))  # 08:00 in Madrid, 04:00 in Buenos Aires
    await settle(mongo, ids[:1], all_in("sent"))
    await quietly()
    assert [d["to"] for d in brevo.delivered] == ["m@example.com"]
    clock.set(utc(2026, 1, 6, 11, 0))  # 08:00 in Buenos Aires
    await settle(mongo, ids, all_in("sent"))
    assert brevo.delivered[1]["subject"] == "Your ClassConnect daily digest (1)"


async def test_a_worker_that_died_mid_send_is_replaced_when_its_lease_ends(
    client, clock, brevo, mongo, db
):
    worker = client.app[DELIVERY_WORKER]
    await worker.stop()  # no worker in this process for a moment
    item = new_delivery(uuid.uuid4(), "email", now=clock.now(), email="ana@example.com")
    [d] = await enqueue(mongo, item)
    from server.stores import delivery_queue  # the crash: claimed by a worker that is gone

    await delivery_queue.claim(
        mongo,
        now=clock.now(),
        lease_until=clock.now() + timedelta(seconds=120),
        worker="dead-worker",
        limit=10,
    )
    await worker.start()
    await quietly()
    assert (await delivery(mongo, d))["status"] == "sending" and brevo.requests == 0
    clock.advance(timedelta(seconds=120))
    await settle(mongo, [d], all_in("sent"))
    assert len(brevo.delivered) == 1
