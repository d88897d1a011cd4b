"""Every kind of course action, caused through REST, leaves one audit record in the outbox:
who (actor), from where (ip, request id), on what (target) and which fields moved (changes)."""

from __future__ import annotations

import pytest

from server.settings import Settings
from tests.audit_helpers import audit_entries, request_id, the_audit, traced, user_actor
from tests.course_helpers import API, course_body, create_course, enroll

pytestmark = pytest.mark.usefixtures("no_relay")


@pytest.fixture
def no_relay(settings: Settings) -> None:
    settings.realtime_relay_enabled = False  # no sockets here: the tests read the outbox


async def test_course_create_update_delete(client, users, db):
    owner = await users.create("Olga Owner")
    rid = request_id()
    resp = await client.post(
        f"{API}/courses",
        json=course_body(),
        headers=traced(owner.headers, rid),
    )
    course = await resp.json()
    created = await the_audit(db, rid, "course.create")
    assert created["actor"] == user_actor(owner.id)
    assert created["target"] == {"kind": "course", "id": course["id"]}
    assert created["changes"]["title"] == [None, "Intro to Astronomy"]
    assert created["changes"]["capacity"] == [None, 30]
    assert created["changes"]["level"] == [None, "beginner"]

    rid = request_id()
    resp = await client.patch(
        f"{API}/courses/{course['id']}",
        json={"title": "Stars", "capacity": 40, "level": "beginner"},
        headers=traced(owner.headers, rid),
    )
    assert resp.status == 200
    updated = await the_audit(db, rid, "course.update")
    # Only what moved: the level was sent unchanged.
    assert updated["changes"] == {"title": ["Intro to Astronomy", "Stars"], "capacity": [30, 40]}

    rid = request_id()
    resp = await client.delete(f"{API}/courses/{course['id']}", headers=traced(owner.headers, rid))
    assert resp.status == 204
    deleted = await the_audit(db, rid, "course.delete")
    assert deleted["changes"]["deleted_at"][0] is None


async def test_a_refused_change_records_no_audit(client, users, db):
    owner, stranger = await users.create(), await users.create()
    course = await create_course(client, owner)
    rid = request_id()
    resp = await client.patch(
        f"{API}/courses/{course['id']}",
        json={"title": "Mine"},
        headers=traced(stranger.headers, rid),
    )
    assert resp.status in (403, 404)
    assert await audit_entries(db, rid) == []


async def test_favourites_are_audited_only_when_they_change(client, users, db):
    owner, fan = await users.create(), await users.create()
    course = await create_course(client, owner)
    url = f"{API}/courses/{course['id']}/favorite"
    rid = request_id()
    assert (await client.put(url, headers=traced(fan.headers, rid))).status == 204
    added = await the_audit(db, rid, "favorite.add")
    assert added["actor"] == user_actor(fan.id)
    assert added["target"] == {"kind": "favorite", "id": f"{fan.id}:{course['id']}"}
    assert added["changes"] == {"favorite": [False, True]}
    again = request_id()
    assert (await client.put(url, headers=traced(fan.headers, again))).status == 204
    assert await audit_entries(db, again) == []  # idempotent: nothing changed
    rid = request_id()
    assert (await client.delete(url, headers=traced(fan.headers, rid))).status == 204
    assert (await the_audit(db, rid, "favorite.remove"))["changes"] == {"favorite": [True, False]}


async def test_leaving_and_member_status(client, users, db):
    owner, ana, ben = await users.create(), await users.create(), await users.create()
    course = await create_course(client, owner)
    cid = course["id"]
    await enroll(client, ana, cid)
    await enroll(client, ben, cid)

    rid = request_id()
    resp = await client.delete(
        f"{API}/courses/{cid}/enrollments/me", headers=traced(ana.headers, rid)
    )
    assert resp.status == 204
    left = await the_audit(db, rid, "enrollment.delete")
    assert left["actor"] == user_actor(ana.id)
    assert left["target"] == {"kind": "enrollment", "id": f"{cid}:{ana.id}"}

    rid = request_id()
    resp = await client.patch(
        f"{API}/courses/{cid}/members/{ben.id}",
        json={"status": "approved"},
        headers=traced(owner.headers, rid),
    )
    assert resp.status == 204
    changed = await the_audit(db, rid, "member.status_change")
    assert changed["actor"] == user_actor(owner.id)
    assert changed["target"] == {"kind": "member", "id": f"{cid}:{ben.id}"}
    assert changed["changes"] == {"status": ["active", "approved"]}
    same = request_id()
    resp = await client.patch(
        f"{API}/courses/{cid}/members/{ben.id}",
        json={"status": "approved"},
        headers=traced(owner.headers, same),
    )
    assert resp.status == 204 and await audit_entries(db, same) == []


async def test_assistants_assigned_changed_and_revoked(client, users, db):
    owner, helper = await users.create(), await users.create()
    cid = (await create_course(client, owner))["id"]
    url = f"{API}/courses/{cid}/assistants/{helper.id}"
    rid = request_id()
    resp = await client.put(
        url, json={"permissions": {"grade": True}}, headers=traced(owner.headers, rid)
    )
    assert resp.status == 200
    assigned = await the_audit(db, rid, "assistant.assign")
    assert assigned["target"] == {"kind": "assistant", "id": f"{cid}:{helper.id}"}
    assert assigned["changes"] == {
        "edit_content": [None, False],
        "grade": [None, True],
        "communicate": [None, False],
    }
    rid = request_id()
    await client.put(
        url,
        json={"permissions": {"grade": True, "edit_content": True}},
        headers=traced(owner.headers, rid),
    )
    assert (await the_audit(db, rid, "assistant.assign"))["changes"] == {
        "edit_content": [False, True]
    }
    rid = request_id()
    assert (await client.delete(url, headers=traced(owner.headers, rid))).status == 204
    revoked = await the_audit(db, rid, "assistant.revoke")
    assert revoked["changes"] == {"role": ["assistant", None]}


async def test_modules_and_resources(client, users, db):
    owner = await users.create()
    cid = (await create_course(client, owner))["id"]
    h = owner.headers

    rid = request_id()
    resp = await client.post(
        f"{API}/courses/{cid}/modules", json={"title": "Week 1"}, headers=traced(h, rid)
    )
    m1 = await resp.json()
    created = await the_audit(db, rid, "module.create")
    assert created["target"] == {"kind": "module", "id": m1["id"]}
    assert created["changes"]["title"] == [None, "Week 1"]
    assert created["changes"]["course_id"] == [None, cid]
    m2 = await (
        await client.post(f"{API}/courses/{cid}/modules", json={"title": "Week 2"}, headers=h)
    ).json()

    rid = request_id()
    await client.patch(f"{API}/modules/{m1['id']}", json={"title": "W1"}, headers=traced(h, rid))
    assert (await the_audit(db, rid, "module.update"))["changes"] == {"title": ["Week 1", "W1"]}

    rid = request_id()
    resp = await client.put(
        f"{API}/courses/{cid}/modules/order",
        json={"ids": [m2["id"], m1["id"]]},
        headers=traced(h, rid),
    )
    assert resp.status == 200
    reordered = await the_audit(db, rid, "course.reorder_modules")
    assert reordered["target"] == {"kind": "course", "id": cid}
    assert reordered["changes"] == {"module_order": [[m1["id"], m2["id"]], [m2["id"], m1["id"]]]}

    rid = request_id()
    resp = await client.post(
        f"{API}/modules/{m1['id']}/resources",
        json={"kind": "link", "title": "NASA", "url": "https://nasa.example/"},
        headers=traced(h, rid),
    )
    assert resp.status == 201, await resp.text()
    r1 = await resp.json()
    added = await the_audit(db, rid, "resource.create")
    assert added["target"] == {"kind": "resource", "id": r1["id"]}
    assert added["changes"]["kind"] == [None, "link"]
    assert added["changes"]["url"] == [None, "https://nasa.example/"]
    r2 = await (
        await client.post(
            f"{API}/modules/{m1['id']}/resources",
            json={"kind": "video", "title": "Clip", "url": "https://video.example/1"},
            headers=h,
        )
    ).json()

    rid = request_id()
    await client.patch(
        f"{API}/resources/{r1['id']}", json={"title": "NASA home"}, headers=traced(h, rid)
    )
    assert (await the_audit(db, rid, "resource.update"))["changes"] == {
        "title": ["NASA", "NASA home"]
    }
    rid = request_id()
    await client.put(
        f"{API}/modules/{m1['id']}/resources/order",
        json={"ids": [r2["id"], r1["id"]]},
        headers=traced(h, rid),
    )
    assert (await the_audit(db, rid, "module.reorder_resources"))["changes"] == {
        "resource_order": [[r1["id"], r2["id"]], [r2["id"], r1["id"]]]
    }
    rid = request_id()
    assert (
        await client.delete(f"{API}/resources/{r1['id']}", headers=traced(h, rid))
    ).status == 204
    assert (await the_audit(db, rid, "resource.delete"))["changes"] == {
        "title": ["NASA home", None]
    }
    rid = request_id()
    assert (await client.delete(f"{API}/modules/{m1['id']}", headers=traced(h, rid))).status == 204
    assert (await the_audit(db, rid, "module.delete"))["changes"] == {"title": ["W1", None]}
