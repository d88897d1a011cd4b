"""Courses through HTTP: create, validate, detail, change, delete, and their events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.course_helpers import API, TODAY, course_body, create_course, enroll, events


async def test_create_course_makes_the_caller_owner(client, users, db):
    ana = await users.create("Ana")
    course = await create_course(client, ana)
    assert course["my_role"] == "owner"
    assert course["owner"] == {"id": str(ana.id), "name": "Ana", "bio": ""}
    assert course["seats_left"] == 30 and course["modules"] == []
    row = await db.fetchrow("SELECT role, status FROM course_members WHERE user_id = $1", ana.id)
    assert dict(row) == {"role": "owner", "status": "active"}
    [created] = await events(db, "course.created")
    assert created["streams"] == [f"user:{ana.id}"]
    assert created["data"] == {"course_id": course["id"], "user_id": str(ana.id), "role": "owner"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"capacity": 0}, "body.capacity"),
        ({"capacity": 10001}, "body.capacity"),
        ({"title": "  "}, "body.title"),
        ({"level": "expert"}, "body.level"),
        ({"modality": "mail"}, "body.modality"),
        ({"starts_on": "not a date"}, "body.starts_on"),
        ({"ends_on": str(TODAY)}, "body"),  # before starts_on
        ({"enroll_until": str(TODAY + timedelta(days=61))}, "body"),  # after ends_on
        ({"unknown": 1}, "body.unknown"),
    ],
)
async def test_create_validation_names_the_field_and_writes_nothing(
    client, users, db, overrides, field
):
    ana = await users.create()
    resp = await client.post(f"{API}/courses", json=course_body(**overrides), headers=ana.headers)
    assert resp.status == 422
    body = await resp.json()
    assert body["error"]["code"] == "validation_failed"
    assert field in {d["field"] for d in body["error"]["details"]}
    assert await db.fetchval("SELECT count(*) FROM courses") == 0


async def test_schedule_messages_are_clear(client, users):
    ana = await users.create()
    resp = await client.post(
        f"{API}/courses", json=course_body(ends_on=str(TODAY)), headers=ana.headers
    )
    assert "ends_on must be on or after starts_on" in str(await resp.json())


async def test_unknown_prerequisite_is_refused(client, users, db):
    ana = await users.create()
    body = course_body(eligibility={"prerequisite_course_ids": [str(ana.id)]})
    resp = await client.post(f"{API}/courses", json=body, headers=ana.headers)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "invalid_prerequisite"
    assert await db.fetchval("SELECT count(*) FROM courses") == 0


async def test_detail_shows_prerequisites_and_outline(client, users):
    ana = await users.create("Ana")
    basics = await create_course(client, ana, title="Basics")
    course = await create_course(
        client, ana, eligibility={"prerequisite_course_ids": [basics["id"]]}
    )
    await client.post(
        f"{API}/courses/{course['id']}/modules", json={"title": "Week 1"}, headers=ana.headers
    )
    bob = await users.create("Bob")
    resp = await client.get(f"{API}/courses/{course['id']}", headers=bob.headers)
    assert resp.status == 200
    detail = await resp.json()
    assert detail["prerequisites"] == [{"id": basics["id"], "title": "Basics"}]
    assert [m["title"] for m in detail["modules"]] == ["Week 1"]
    assert detail["my_role"] is None and detail["objectives"] == ["Name the planets"]


async def test_patch_revalidates_merged_dates_and_capacity(client, users, db):
    ana = await users.create()
    course = await create_course(client, ana, capacity=2)
    url = f"{API}/courses/{course['id']}"
    resp = await client.patch(url, json={"ends_on": str(TODAY)}, headers=ana.headers)
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "invalid_schedule"
    await enroll(client, await users.create(), course["id"])
    await enroll(client, await users.create(), course["id"])
    resp = await client.patch(url, json={"capacity": 1}, headers=ana.headers)
    assert (await resp.json())["error"]["code"] == "capacity_below_enrolled"
    assert await events(db, "course.updated") == []
    resp = await client.patch(
        url, json={"title": "Astronomy II", "capacity": 5}, headers=ana.headers
    )
    assert resp.status == 200
    assert (await resp.json())["seats_left"] == 3
    [updated] = await events(db, "course.updated")
    assert updated["streams"] == [f"course:{course['id']}"]
    assert updated["data"] == {"course_id": course["id"], "fields": ["capacity", "title"]}


async def test_patch_rejects_empty_and_null(client, users):
    ana = await users.create()
    course = await create_course(client, ana)
    url = f"{API}/courses/{course['id']}"
    assert (await client.patch(url, json={}, headers=ana.headers)).status == 422
    assert (await client.patch(url, json={"title": None}, headers=ana.headers)).status == 422


async def test_logical_delete(client, users, db):
    ana, sam, bob = await users.create(), await users.create(), await users.create()
    course = await create_course(client, ana)
    await enroll(client, sam, course["id"])
    url = f"{API}/courses/{course['id']}"
    assert (await client.delete(url, headers=ana.headers)).status == 204
    assert (await client.get(url, headers=bob.headers)).status == 404
    seen = await client.get(url, headers=sam.headers)
    assert seen.status == 200 and (await seen.json())["deleted"] is True
    catalog = await (await client.get(f"{API}/courses", headers=bob.headers)).json()
    assert catalog["items"] == []
    resp = await client.patch(url, json={"title": "Back again"}, headers=ana.headers)
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "course_deleted"
    [deleted] = await events(db, "course.deleted")
    assert deleted == {"streams": [f"course:{course['id']}"], "data": {"course_id": course["id"]}}
    mine = await (
        await client.get(f"{API}/users/me/courses?state=finished", headers=sam.headers)
    ).json()
    assert [(i["id"], i["deleted"]) for i in mine["items"]] == [(course["id"], True)]


async def test_unknown_and_malformed_course_ids_are_404(client, users):
    ana = await users.create()
    for cid in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        resp = await client.get(f"{API}/courses/{cid}", headers=ana.headers)
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "course_not_found"
