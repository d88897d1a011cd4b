"""Enrollment, eligibility, seats under concurrency, leaving, members, assistants, activity."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.course_helpers import (
    API,
    TODAY,
    create_course,
    enroll,
    events,
    later,
    make_assistant,
)


def _code(body: dict) -> str:
    return body["error"]["code"]


async def test_enroll_records_membership_and_events(client, users, db):
    ana, sam = await users.create(), await users.create()
    course = await create_course(client, ana, capacity=3)
    resp = await client.post(f"{API}/courses/{course['id']}/enrollments", headers=sam.headers)
    assert resp.status == 201
    assert (await resp.json())["seats_left"] == 2
    [created] = await events(db, "enrollment.created")
    assert created["streams"] == [f"course:{course['id']}:staff", f"user:{sam.id}"]
    assert created["data"] == {"course_id": course["id"], "user_id": str(sam.id), "role": "student"}
    again = await client.post(f"{API}/courses/{course['id']}/enrollments", headers=sam.headers)
    assert again.status == 409 and _code(await again.json()) == "already_enrolled"
    owner = await client.post(f"{API}/courses/{course['id']}/enrollments", headers=ana.headers)
    assert owner.status == 409
    assert await db.fetchval("SELECT seats_taken FROM courses") == 1


async def test_fifty_simultaneous_enrollments_for_ten_seats(client, users, db):
    ana = await users.create()
    course = await create_course(client, ana, capacity=10)
    students = [await users.create() for _ in range(50)]
    url = f"{API}/courses/{course['id']}/enrollments"
    responses = await asyncio.gather(*(client.post(url, headers=s.headers) for s in students))
    statuses = sorted(r.status for r in responses)
    assert statuses.count(201) == 10 and statuses.count(409) == 40
    for r in responses:
        if r.status == 409:
            assert _code(await r.json()) == "course_full"
    assert await db.fetchval("SELECT seats_taken FROM courses") == 10
    count = "SELECT count(*) FROM course_members WHERE role = 'student'"
    assert await db.fetchval(count) == 10
    assert len(await events(db, "enrollment.created")) == 10


async def test_enrollment_closed(client, users, clock, db):
    ana, sam = await users.create(), await users.create()
    course = await create_course(client, ana, enroll_until=str(TODAY + timedelta(days=1)))
    [sam] = later(users, clock, timedelta(days=2), sam)
    resp = await client.post(f"{API}/courses/{course['id']}/enrollments", headers=sam.headers)
    assert resp.status == 422 and _code(await resp.json()) == "enrollment_closed"
    assert await db.fetchval("SELECT count(*) FROM course_members WHERE role='student'") == 0


async def test_prerequisites_must_be_approved(client, users, db):
    ana, sam = await users.create(), await users.create()
    basics = await create_course(client, ana, title="Basics")
    advanced = await create_course(
        client, ana, title="Advanced", eligibility={"prerequisite_course_ids": [basics["id"]]}
    )
    url = f"{API}/courses/{advanced['id']}/enrollments"
    resp = await client.post(url, headers=sam.headers)
    body = await resp.json()
    assert resp.status == 403 and _code(body) == "not_eligible"
    assert "Basics" in body["error"]["message"]
    assert body["error"]["details"] == [{"course_id": basics["id"], "title": "Basics"}]
    await enroll(client, sam, basics["id"])
    member = f"{API}/courses/{basics['id']}/members/{sam.id}"
    assert (await client.post(url, headers=sam.headers)).status == 403  # enrolled, not approved
    resp = await client.patch(member, json={"status": "approved"}, headers=ana.headers)
    assert resp.status == 204
    assert (await client.post(url, headers=sam.headers)).status == 201
    [changed] = await events(db, "member.status_changed")
    assert changed["streams"] == [f"user:{sam.id}"]
    assert changed["data"] == {
        "course_id": basics["id"],
        "user_id": str(sam.id),
        "status": "approved",
    }


async def test_leave_frees_the_seat(client, users, db):
    ana, sam = await users.create(), await users.create()
    course = await create_course(client, ana, capacity=1)
    await enroll(client, sam, course["id"])
    url = f"{API}/courses/{course['id']}/enrollments/me"
    assert (await client.delete(url, headers=sam.headers)).status == 204
    assert (await client.delete(url, headers=sam.headers)).status == 404
    [removed] = await events(db, "enrollment.removed")
    assert removed["data"] == {"course_id": course["id"], "user_id": str(sam.id), "reason": "left"}
    assert removed["streams"] == [f"course:{course['id']}:staff", f"user:{sam.id}"]
    await enroll(client, await users.create(), course["id"])  # the seat is free again


async def test_removed_student_loses_seat_and_cannot_return(client, users, db):
    ana, sam = await users.create(), await users.create()
    course = await create_course(client, ana, capacity=1)
    await enroll(client, sam, course["id"])
    member = f"{API}/courses/{course['id']}/members/{sam.id}"
    assert (
        await client.patch(member, json={"status": "removed"}, headers=ana.headers)
    ).status == 204
    assert await db.fetchval("SELECT seats_taken FROM courses") == 0
    resp = await client.post(f"{API}/courses/{course['id']}/enrollments", headers=sam.headers)
    assert resp.status == 403 and _code(await resp.json()) == "removed_from_course"
    assert [e["data"]["reason"] for e in await events(db, "enrollment.removed")] == ["removed"]
    bad = await client.patch(member, json={"status": "graduated"}, headers=ana.headers)
    assert bad.status == 422


async def test_members_view_depends_on_role(client, users):
    ana, sam, al = await users.create("Ana"), await users.create("Sam"), await users.create("Al")
    course = await create_course(client, ana)
    await enroll(client, sam, course["id"])
    await make_assistant(client, ana, course["id"], al, grade=True)
    url = f"{API}/courses/{course['id']}/members"
    staff_view = await (await client.get(url, headers=al.headers)).json()
    assert [(m["name"], m["role"]) for m in staff_view["members"]] == [
        ("Ana", "owner"),
        ("Al", "assistant"),
        ("Sam", "student"),
    ]
    assert staff_view["members"][1]["permissions"] == {
        "edit_content": False,
        "grade": True,
        "communicate": False,
    }
    student_view = await (await client.get(url, headers=sam.headers)).json()
    assert [m["name"] for m in student_view["members"]] == ["Ana", "Al"]
    assert student_view["student_count"] == 1
    assert all(m["status"] is None for m in student_view["members"])
    assert (await client.get(url, headers=(await users.create()).headers)).status == 403


async def test_assistants_and_activity_log(client, users, db):
    ana, al, sam = await users.create(), await users.create("Al"), await users.create()
    course = await create_course(client, ana)
    cid = course["id"]
    await enroll(client, sam, cid)
    await make_assistant(client, ana, cid, al, edit_content=True)
    [assigned] = await events(db, "assistant.assigned")
    assert assigned["streams"] == [f"course:{cid}:staff", f"user:{al.id}"]
    assert assigned["data"]["user_id"] == str(al.id) and assigned["data"]["course_id"] == cid
    # Within the permission: allowed and logged; outside it: refused.
    assert (
        await client.patch(f"{API}/courses/{cid}", json={"syllabus": "New"}, headers=al.headers)
    ).status == 200
    grade = await client.patch(
        f"{API}/courses/{cid}/members/{sam.id}", json={"status": "approved"}, headers=al.headers
    )
    assert grade.status == 403
    resp = await client.get(f"{API}/courses/{cid}/activity", headers=ana.headers)
    [entry] = (await resp.json())["items"]
    assert entry["actor_name"] == "Al" and entry["action"] == "course.updated"
    assert entry["subject"] == {"fields": ["syllabus"]}
    assert (await client.get(f"{API}/courses/{cid}/activity", headers=al.headers)).status == 403
    # A student cannot become an assistant; the owner cannot either.
    resp = await client.put(
        f"{API}/courses/{cid}/assistants/{sam.id}", json={"permissions": {}}, headers=ana.headers
    )
    assert resp.status == 409
    resp = await client.put(
        f"{API}/courses/{cid}/assistants/{ana.id}", json={"permissions": {}}, headers=ana.headers
    )
    assert resp.status == 422
    url = f"{API}/courses/{cid}/assistants/{al.id}"
    assert (await client.delete(url, headers=ana.headers)).status == 204
    assert (await client.delete(url, headers=ana.headers)).status == 404
    [revoked] = await events(db, "assistant.revoked")
    assert revoked["data"] == {"course_id": cid, "user_id": str(al.id)}
    assert (
        await client.patch(f"{API}/courses/{cid}", json={"syllabus": "x"}, headers=al.headers)
    ).status == 403


async def test_activity_is_paginated(client, users):
    ana, al = await users.create(), await users.create()
    course = await create_course(client, ana)
    await make_assistant(client, ana, course["id"], al, edit_content=True)
    for n in range(5):
        await client.post(
            f"{API}/courses/{course['id']}/modules", json={"title": f"M{n}"}, headers=al.headers
        )
    url = f"{API}/courses/{course['id']}/activity?limit=2"
    seen, next_url = [], url
    while next_url:
        page = await (await client.get(next_url, headers=ana.headers)).json()
        seen += [e["id"] for e in page["items"]]
        next_url = page["next_cursor"] and f"{url}&cursor={page['next_cursor']}"
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
