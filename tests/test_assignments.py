"""Assignments through HTTP: drafts vs published, no correct answers for students, changes
announced, listings with counts / my_status, filters and pagination, "my activities"."""

from __future__ import annotations

from datetime import timedelta

from tests.assignment_helpers import (
    START,
    assignment_body,
    course_cast,
    create_assignment,
    fresh,
    outbox_events,
    published,
    submit,
)
from tests.course_helpers import API


async def test_create_is_a_draft_students_cannot_see(client, users, db):
    c = await course_cast(client, users, "edit_content")
    draft = await create_assignment(client, c.owner, c.course_id)
    assert draft["state"] == "draft" and draft["max_score"] == 6
    assert draft["questions"][0]["correct"] == 1  # staff see the key
    resp = await client.get(f"{API}/assignments/{draft['id']}", headers=c.student.headers)
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "assignment_not_found"
    listing = await client.get(
        f"{API}/courses/{c.course_id}/assignments", headers=c.student.headers
    )
    assert (await listing.json())["items"] == []
    assert not [
        e for e in await outbox_events(db, "assignment.") if f"course:{c.course_id}" in e["streams"]
    ]


async def test_published_assignment_reaches_students_without_correct(client, users, db):
    c = await course_cast(client, users, "edit_content")
    a = await published(client, c.owner, c.course_id)
    resp = await client.get(f"{API}/assignments/{a['id']}", headers=c.student.headers)
    assert resp.status == 200
    body = await resp.json()
    assert body["my_status"] == "pending" and body["counts"] is None
    assert body["questions"] and all("correct" not in q for q in body["questions"])
    assert "correct" not in await resp.text()
    [ev] = [e for e in await outbox_events(db, "assignment.published")]
    assert ev["streams"] == [f"course:{c.course_id}"]
    assert ev["data"]["assignment_id"] == a["id"]
    assert "questions" not in ev["data"] and "correct" not in str(ev["data"])


async def test_validation_refuses_bad_assignments_and_writes_nothing(client, users, db):
    c = await course_cast(client, users, "edit_content")
    bad = [
        assignment_body(grace_minutes=10081),
        assignment_body(max_attempts=0),
        assignment_body(time_limit_minutes=30),  # a task with a time limit
        assignment_body(late_policy={"accept_late": True, "penalty_percent_per_day": 101}),
        assignment_body(
            questions=[
                {
                    "id": "q",
                    "kind": "multiple_choice",
                    "prompt": "?",
                    "options": ["a", "b"],
                    "correct": 5,
                }
            ]
        ),
        assignment_body(questions=[{"id": "q", "kind": "true_false", "prompt": "?", "correct": 1}]),
        assignment_body(questions=[{"id": "q", "kind": "text", "prompt": "?", "correct": 0}]),
        assignment_body(due_at="2026-01-07T09:00:00"),  # no time zone
        assignment_body(kind="quiz"),
    ]
    for body in bad:
        resp = await client.post(
            f"{API}/courses/{c.course_id}/assignments", json=body, headers=c.owner.headers
        )
        assert resp.status == 422, body
        assert (await resp.json())["error"]["code"] == "validation_failed"
    assert await db.fetchval("SELECT count(*) FROM assignments") == 0


async def test_changing_due_at_after_publishing_is_announced(client, users, db):
    c = await course_cast(client, users, "edit_content")
    a = await published(client, c.owner, c.course_id)
    new_due = (START + timedelta(days=5)).isoformat()
    resp = await client.patch(
        f"{API}/assignments/{a['id']}", json={"due_at": new_due}, headers=c.assistant_with.headers
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["due_at"].startswith("2026-01-10T09:00")
    [ev] = await outbox_events(db, "assignment.updated")
    assert ev["streams"] == [f"course:{c.course_id}"]
    assert ev["data"]["due_at_changed"] is True and ev["data"]["changed"] == ["due_at"]
    # PATCH is validated as a whole: a time limit on a task is refused, nothing changes.
    resp = await client.patch(
        f"{API}/assignments/{a['id']}", json={"time_limit_minutes": 5}, headers=c.owner.headers
    )
    assert resp.status == 422
    assert await db.fetchval("SELECT time_limit_minutes FROM assignments") is None


async def test_questions_are_frozen_once_answered(client, users):
    c = await course_cast(client, users, "edit_content")
    a = await published(client, c.owner, c.course_id)
    assert (await submit(client, c.student, a["id"])).status == 201
    resp = await client.patch(
        f"{API}/assignments/{a['id']}",
        json={"questions": assignment_body()["questions"][:1]},
        headers=c.owner.headers,
    )
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "assignment_has_submissions"


async def test_delete_removes_it_for_everyone_and_announces(client, users, db):
    c = await course_cast(client, users, "edit_content")
    a = await published(client, c.owner, c.course_id)
    resp = await client.delete(f"{API}/assignments/{a['id']}", headers=c.owner.headers)
    assert resp.status == 204
    for who in (c.owner, c.student):
        assert (await client.get(f"{API}/assignments/{a['id']}", headers=who.headers)).status == 404
    [ev] = await outbox_events(db, "assignment.deleted")
    assert ev["streams"] == [f"course:{c.course_id}"]


async def test_staff_listing_has_counts_and_student_listing_has_my_status(client, users, clock):
    c = await course_cast(client, users, "edit_content")
    first = await published(client, c.owner, c.course_id, title="First")
    second = await published(
        client,
        c.owner,
        c.course_id,
        title="Second",
        due_at=(START + timedelta(days=1)).isoformat(),
    )
    await create_assignment(
        client,
        c.owner,
        c.course_id,
        title="Draft one",
        due_at=(START + timedelta(days=3)).isoformat(),
    )
    assert (await submit(client, c.student, first["id"])).status == 201

    staff = await (
        await client.get(
            f"{API}/courses/{c.course_id}/assignments", headers=c.assistant_without.headers
        )
    ).json()
    assert [i["title"] for i in staff["items"]] == ["Second", "First", "Draft one"]
    counts = {i["title"]: i["counts"] for i in staff["items"]}
    assert counts["First"] == {"submitted": 1, "late": 0, "graded": 0, "needs_review": 1}
    assert counts["Second"]["submitted"] == 0

    clock.advance(timedelta(days=1, hours=1))  # Second is now past due + grace
    student, owner = fresh(users, c.student), fresh(users, c.owner)
    mine = await (
        await client.get(f"{API}/courses/{c.course_id}/assignments", headers=student)
    ).json()
    assert {i["title"]: i["my_status"] for i in mine["items"]} == {
        "Second": "missing",
        "First": "submitted",
    }
    assert all(i["counts"] is None for i in mine["items"])
    only = await client.get(
        f"{API}/courses/{c.course_id}/assignments?status=missing", headers=student
    )
    assert [i["id"] for i in (await only.json())["items"]] == [second["id"]]
    drafts = await client.get(
        f"{API}/courses/{c.course_id}/assignments?status=draft", headers=owner
    )
    assert [i["title"] for i in (await drafts.json())["items"]] == ["Draft one"]
    wrong = await client.get(
        f"{API}/courses/{c.course_id}/assignments?status=draft", headers=student
    )
    assert wrong.status == 422


async def test_pagination_and_due_range(client, users):
    c = await course_cast(client, users, "edit_content")
    ids = []
    for day in range(1, 6):
        a = await published(
            client,
            c.owner,
            c.course_id,
            title=f"Task {day}",
            due_at=(START + timedelta(days=day)).isoformat(),
        )
        ids.append(a["id"])
    seen, cursor = [], None
    while True:
        url = f"{API}/courses/{c.course_id}/assignments?limit=2"
        page = await (
            await client.get(
                url + (f"&cursor={cursor}" if cursor else ""), headers=c.student.headers
            )
        ).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    lo, hi = (START + timedelta(days=2)).isoformat(), (START + timedelta(days=3)).isoformat()
    resp = await client.get(
        f"{API}/courses/{c.course_id}/assignments",
        params={"due_from": lo, "due_to": hi},
        headers=c.owner.headers,
    )
    assert [i["id"] for i in (await resp.json())["items"]] == ids[1:3]
    bad = await client.get(
        f"{API}/courses/{c.course_id}/assignments?cursor=nonsense", headers=c.owner.headers
    )
    assert bad.status == 422


async def test_my_activities_span_courses_with_statuses(client, users, clock):
    c1 = await course_cast(client, users, "edit_content")
    c2 = await course_cast(client, users, "edit_content")
    await client.post(f"{API}/courses/{c2.course_id}/enrollments", headers=c1.student.headers)
    a1 = await published(client, c1.owner, c1.course_id, title="Algebra")
    a2 = await published(
        client,
        c2.owner,
        c2.course_id,
        title="Biology",
        due_at=(START + timedelta(days=3)).isoformat(),
    )
    await create_assignment(client, c2.owner, c2.course_id, title="Hidden draft")
    assert (await submit(client, c1.student, a1["id"])).status == 201
    resp = await client.get(f"{API}/users/me/activities", headers=c1.student.headers)
    body = await resp.json()
    assert [(i["title"], i["my_status"]) for i in body["items"]] == [
        ("Algebra", "submitted"),
        ("Biology", "pending"),
    ]
    pending = await client.get(
        f"{API}/users/me/activities?status=pending", headers=c1.student.headers
    )
    assert [i["id"] for i in (await pending.json())["items"]] == [a2["id"]]
    # The other course's student sees only what is theirs.
    other = await client.get(f"{API}/users/me/activities", headers=c2.student.headers)
    assert [i["title"] for i in (await other.json())["items"]] == ["Biology"]
