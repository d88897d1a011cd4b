"""End to end: an event caused over REST becomes inbox items, deliveries and live events on the
recipients' sockets; the inbox's REST changes reach every open device as unread counts."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from server.domain.events import user_stream
from server.keys import SETTINGS
from tests.assignment_helpers import published
from tests.consumer_helpers import settled
from tests.course_helpers import API, create_course, enroll
from tests.delivery_helpers import online
from tests.notifications.helpers import deliveries, inbox, set_preferences, unread


async def test_publishing_an_assignment_notifies_every_active_student_live(
    client, users, sockets, db, mongo, clock
):
    owner = await users.create("Olga Owner")
    course = await create_course(client, owner)
    names = ("Ana", "Beto", "Caro", "Dani", "Eva")
    ana, beto, caro, dani, eva = [await users.create(n) for n in names]
    for student in (ana, beto, caro, dani, eva):
        await enroll(client, student, course["id"])
    removed = await client.patch(
        f"{API}/courses/{course['id']}/members/{dani.id}",
        json={"status": "removed"},
        headers=owner.headers,
    )
    assert removed.status == 204
    await set_preferences(client, beto, {"locale": "en", "timezone": "UTC"})
    await set_preferences(client, caro, {"events": {"assignment.published": {"push": "off"}}})
    stranger = await users.create("Stranger")
    await settled(db)
    recs = {u.name: await sockets().connect(u.token) for u in (ana, beto, caro, stranger, owner)}
    for student in (ana, beto):
        await online(mongo, student.id)  # Eva has no socket

    clock.advance(timedelta(minutes=1))
    task = await published(client, owner, course["id"], title="Homework 1")
    for name in ("Ana", "Beto", "Caro"):
        await recs[name].wait_for("notification.unread_count", count=1, within=30)
    await settled(db)

    for user in (ana, beto, caro):
        [live] = recs[user.name].of("notification.created")
        assert live["stream"] == user_stream(user.id) and live["seq"] >= 1
        item = live["data"]
        assert item["type"] == "assignment.published"
        assert item["data"]["assignment_id"] == task["id"]
        assert item["course_id"] == course["id"] and item["read_at"] is None
        page = await inbox(client, user)
        assert page["items"][0] == item  # newest first; the live item is the stored one
        assert [i["type"] for i in page["items"]] == ["assignment.published", "enrollment.created"]
        [count] = recs[user.name].of("notification.unread_count")
        assert count["data"] == {"unread": 2} and count["seq"] > live["seq"]
        assert await unread(client, user) == 2
    assert recs["Ana"].of("notification.created")[0]["data"]["title"] == (
        "Nueva actividad en Intro to Astronomy"
    )
    assert recs["Beto"].of("notification.created")[0]["data"]["body"].startswith("“Homework 1” is")
    for name in ("Stranger", "Olga Owner"):
        assert recs[name].of("notification.created") == []
    assert (await inbox(client, dani))["items"][0]["type"] != "assignment.published"

    sent = await deliveries(mongo, type="assignment.published")
    # email: off by default
    assert set(sent) == {(str(u.id), "push") for u in (ana, beto, caro, eva)}
    assert (sent[str(ana.id), "push"]["status"], sent[str(ana.id), "push"]["mode"]) == (
        "queued",
        "immediate",
    )
    assert (sent[str(caro.id), "push"]["status"], sent[str(caro.id), "push"]["reason"]) == (
        "skipped",
        "preference_off",
    )
    assert sent[str(beto.id), "push"]["locale"] == "en"
    # With a live socket, a push is queued held for the grace (the worker would hold it at its
    # first look); without one it is due at once.
    grace = client.app[SETTINGS].push_grace
    for student in (ana, beto):
        push = sent[str(student.id), "push"]
        assert (push["hold"], push["not_before"]) == ("grace", push["created_at"] + grace)
        assert [(e["outcome"], e["until"]) for e in push["log"]] == [("held", push["not_before"])]
    assert "hold" not in sent[str(eva.id), "push"]
    assert sent[str(eva.id), "push"]["not_before"] == sent[str(eva.id), "push"]["created_at"]


async def test_reading_and_archiving_keep_every_device_in_step(client, users, sockets, db, clock):
    owner = await users.create("Owner")
    first = await create_course(client, owner, title="First")
    second = await create_course(client, owner, title="Second")
    student, other = await users.create("Student"), await users.create("Other")
    await enroll(client, student, first["id"])
    clock.advance(timedelta(seconds=1))
    await enroll(client, student, second["id"])
    await enroll(client, other, first["id"])
    await settled(db)
    phone = await sockets().connect(student.token)
    tablet = await sockets().connect(student.token)

    items = (await inbox(client, student))["items"]
    assert [i["course_id"] for i in items] == [second["id"], first["id"]]
    of_first = (await inbox(client, student, course_id=first["id"]))["items"]
    assert [i["id"] for i in of_first] == [items[1]["id"]]
    page = await inbox(client, student, limit=1)
    rest = await inbox(client, student, limit=1, cursor=page["next_cursor"])
    assert [page["items"][0]["id"], rest["items"][0]["id"]] == [i["id"] for i in items]
    assert rest["next_cursor"] is None

    theirs = (await inbox(client, other))["items"][0]["id"]
    for method, path in (("POST", f"{theirs}/read"), ("DELETE", theirs), ("POST", "nope/read")):
        resp = await client.request(method, f"{API}/notifications/{path}", headers=student.headers)
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "notification_not_found"
    assert await unread(client, other) == 1

    resp = await client.post(f"{API}/notifications/{items[1]['id']}/read", headers=student.headers)
    assert resp.status == 200
    assert (await resp.json())["read_at"] is not None
    for device in (phone, tablet):
        await device.wait_until(
            lambda d=device: (
                {"unread": 1} in [e["data"] for e in d.of("notification.unread_count")]
            ),
            within=30,
        )
    assert [i["id"] for i in (await inbox(client, student, unread_only="true"))["items"]] == [
        items[0]["id"]
    ]

    again = await client.post(f"{API}/notifications/{items[1]['id']}/read", headers=student.headers)
    assert again.status == 200  # read already: nothing changes, nothing is told
    resp = await client.post(
        f"{API}/notifications/read-all", json={"course_id": first["id"]}, headers=student.headers
    )
    assert (await resp.json()) == {"unread": 1}  # that course had nothing unread left
    resp = await client.post(f"{API}/notifications/read-all", headers=student.headers)
    assert resp.status == 200 and (await resp.json()) == {"unread": 0}
    await phone.wait_until(
        lambda: phone.of("notification.unread_count")[-1]["data"] == {"unread": 0}, within=30
    )

    resp = await client.delete(f"{API}/notifications/{items[0]['id']}", headers=student.headers)
    assert resp.status == 204
    assert [i["id"] for i in (await inbox(client, student))["items"]] == [items[1]["id"]]
    again = await client.delete(f"{API}/notifications/{items[0]['id']}", headers=student.headers)
    assert again.status == 404

    await settled(db)
    audits = [
        json.loads(r["data"])["action"]
        for r in await db.fetch(
            "SELECT data::text AS data FROM outbox WHERE type = 'audit.recorded'"
        )
    ]
    for action in ("notification.read", "notification.read_all", "notification.archive"):
        assert action in audits
    counts = await tablet.wait_for("notification.unread_count", count=3, within=30)
    seqs = [e["seq"] for e in counts]
    assert seqs == sorted(seqs) and len(seqs) == 3  # read, read-all, archive: the changes


async def test_the_inbox_refuses_anonymous_callers_and_bad_queries(client, users):
    for method, path in (
        ("GET", "/notifications"),
        ("GET", "/notifications/unread-count"),
        ("POST", "/notifications/read-all"),
        ("GET", "/users/me/notification-preferences"),
    ):
        assert (await client.request(method, f"{API}{path}")).status == 401
    user = await users.create()
    for query in ({"limit": "0"}, {"cursor": "garbage"}, {"course_id": "x"}, {"what": "1"}):
        resp = await client.get(f"{API}/notifications", params=query, headers=user.headers)
        assert resp.status == 422, query
    resp = await client.post(
        f"{API}/notifications/read-all", json={"course": "x"}, headers=user.headers
    )
    assert resp.status == 422


async def test_concurrent_changes_report_counts_in_the_order_they_were_taken(client, users, db):
    owner, student = await users.create("Owner"), await users.create("Student")
    for n in range(6):
        course = await create_course(client, owner, title=f"Course {n}")
        await enroll(client, student, course["id"])
    await settled(db)
    items = (await inbox(client, student))["items"]
    assert len(items) == 6

    async def read(item):
        url = f"{API}/notifications/{item['id']}/read"
        assert (await client.post(url, headers=student.headers)).status == 200

    await asyncio.gather(*(read(i) for i in items))
    rows = await db.fetch(
        "SELECT data::text AS data FROM outbox WHERE type = 'notification.unread_count' "
        "AND context IS NOT NULL AND context->'actor'->>'kind' = 'user' ORDER BY position"
    )
    assert [json.loads(r["data"])["unread"] for r in rows] == [5, 4, 3, 2, 1, 0]
