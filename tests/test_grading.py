"""Grading through HTTP: staff listing and filters, draft grades only staff see, publishing to
the student alone, and no other student's work or grade reaching anyone else."""

from __future__ import annotations

from tests.assignment_helpers import (
    auto_questions,
    course_cast,
    outbox_events,
    published,
    right_answers,
    submit,
)
from tests.course_helpers import API


async def _two_students(client, users, c):
    second = await users.create("Second Student")
    resp = await client.post(f"{API}/courses/{c.course_id}/enrollments", headers=second.headers)
    assert resp.status == 201
    return second


async def test_staff_list_and_filter_submissions(client, users):
    c = await course_cast(client, users, "grade")
    second = await _two_students(client, users, c)
    a = await published(client, c.owner, c.course_id)
    await submit(client, c.student, a["id"])
    await submit(client, second, a["id"], answers=right_answers()[:2])  # no text: auto only
    page = await (
        await client.get(
            f"{API}/assignments/{a['id']}/submissions", headers=c.assistant_without.headers
        )
    ).json()
    assert len(page["items"]) == 2
    by_name = {s["student"]["name"]: s for s in page["items"]}
    assert by_name["Sam Student"]["needs_review"] is True
    assert by_name["Sam Student"]["grade_state"] == "none"
    assert by_name["Second Student"]["grade_state"] == "draft"  # scored automatically
    assert by_name["Second Student"]["draft_grade"]["score"] == 3.0
    review = await (
        await client.get(
            f"{API}/assignments/{a['id']}/submissions?needs_review=true", headers=c.owner.headers
        )
    ).json()
    assert [s["student"]["name"] for s in review["items"]] == ["Sam Student"]
    first = await (
        await client.get(
            f"{API}/assignments/{a['id']}/submissions?limit=1", headers=c.owner.headers
        )
    ).json()
    rest = await (
        await client.get(
            f"{API}/assignments/{a['id']}/submissions?limit=1&cursor={first['next_cursor']}",
            headers=c.owner.headers,
        )
    ).json()
    assert len(first["items"]) == len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert first["items"][0]["id"] != rest["items"][0]["id"]
    refused = await client.get(
        f"{API}/assignments/{a['id']}/submissions", headers=c.student.headers
    )
    assert refused.status == 403


async def test_draft_grade_is_hidden_until_published(client, users, db):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id)
    sub = await (await submit(client, c.student, a["id"])).json()
    resp = await client.put(
        f"{API}/submissions/{sub['id']}/grade",
        json={"feedback": "Good reasoning.", "question_scores": {"q3": 2.5}},
        headers=c.assistant_with.headers,
    )
    assert resp.status == 200, await resp.text()
    staff_view = await resp.json()
    assert staff_view["grade_state"] == "draft" and staff_view["draft_grade"]["score"] == 5.5
    mine = await (
        await client.get(f"{API}/submissions/{sub['id']}", headers=c.student.headers)
    ).json()
    assert mine["grade"] is None and "draft_grade" not in mine
    assert not await outbox_events(db, "grade.published")

    resp = await client.post(
        f"{API}/submissions/{sub['id']}/publish-grade", headers=c.assistant_with.headers
    )
    assert resp.status == 200
    mine = await (
        await client.get(f"{API}/submissions/{sub['id']}", headers=c.student.headers)
    ).json()
    assert mine["grade"]["score"] == 5.5 and mine["grade"]["feedback"] == "Good reasoning."
    assert mine["grade"]["max_score"] == 6
    [ev] = await outbox_events(db, "grade.published")
    assert ev["streams"] == [f"user:{c.student.id}"]
    assert ev["data"]["score"] == 5.5 and ev["data"]["submission_id"] == sub["id"]
    status = await (
        await client.get(f"{API}/assignments/{a['id']}", headers=c.student.headers)
    ).json()
    assert status["my_status"] == "graded"


async def test_grade_validation_and_incomplete_grades(client, users, db):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id)
    sub = await (await submit(client, c.student, a["id"])).json()
    url = f"{API}/submissions/{sub['id']}/grade"
    for body, code in [
        ({"question_scores": {"q3": 4}}, "invalid_grade"),  # q3 is worth 3
        ({"question_scores": {"zz": 1}}, "invalid_grade"),
        ({"score": 7}, "invalid_grade"),  # max score is 6
        ({"feedback": "no points yet"}, "grade_incomplete"),
    ]:
        resp = await client.put(url, json=body, headers=c.owner.headers)
        assert resp.status == 422, body
        assert (await resp.json())["error"]["code"] == code
    assert (await client.put(url, json={"score": -1}, headers=c.owner.headers)).status == 422
    assert await db.fetchval("SELECT graded_at FROM submissions") is None
    resp = await client.post(
        f"{API}/submissions/{sub['id']}/publish-grade", headers=c.owner.headers
    )
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "not_graded"


async def test_publish_grades_for_the_whole_assignment(client, users, db):
    c = await course_cast(client, users, "grade")
    second = await _two_students(client, users, c)
    third = await _two_students(client, users, c)
    a = await published(client, c.owner, c.course_id, questions=auto_questions())
    full = await published(client, c.owner, c.course_id, title="With text")
    for who in (c.student, second):
        assert (await submit(client, who, a["id"], answers=right_answers()[:2])).status == 201
    await submit(client, third, full["id"])  # needs review, not graded: waits
    resp = await client.post(f"{API}/assignments/{a['id']}/publish-grades", headers=c.owner.headers)
    assert resp.status == 200
    assert await resp.json() == {"published": 2, "waiting_for_review": 0}
    events = await outbox_events(db, "grade.published")
    assert sorted(e["streams"][0] for e in events) == sorted(
        [f"user:{c.student.id}", f"user:{second.id}"]
    )
    again = await client.post(
        f"{API}/assignments/{a['id']}/publish-grades", headers=c.owner.headers
    )
    assert (await again.json())["published"] == 0
    waiting = await client.post(
        f"{API}/assignments/{full['id']}/publish-grades", headers=c.owner.headers
    )
    assert await waiting.json() == {"published": 0, "waiting_for_review": 1}


async def test_students_never_see_each_others_work(client, users, db):
    c = await course_cast(client, users, "grade")
    second = await _two_students(client, users, c)
    a = await published(client, c.owner, c.course_id)
    sub = await (await submit(client, c.student, a["id"], answers=right_answers("secret"))).json()
    await client.put(
        f"{API}/submissions/{sub['id']}/grade",
        json={"score": 4, "feedback": "private"},
        headers=c.owner.headers,
    )
    await client.post(f"{API}/submissions/{sub['id']}/publish-grade", headers=c.owner.headers)
    for who in (second, c.other):
        resp = await client.get(f"{API}/submissions/{sub['id']}", headers=who.headers)
        assert resp.status == 404
    history = await client.get(
        f"{API}/assignments/{a['id']}/submissions/me", headers=second.headers
    )
    assert (await history.json())["items"] == []
    for path in (
        f"/assignments/{a['id']}",
        f"/courses/{c.course_id}/assignments",
        "/users/me/activities",
        "/users/me/stats",
    ):
        text = await (await client.get(API + path, headers=second.headers)).text()
        assert "secret" not in text and "private" not in text and '"correct"' not in text
    # Events a student can receive: their user stream and the course stream.
    for ev in await outbox_events(db):
        audience = set(ev["streams"])
        if f"course:{c.course_id}" in audience or f"user:{second.id}" in audience:
            assert "secret" not in str(ev["data"]) and "private" not in str(ev["data"])
            assert "correct" not in ev["data"] and "answers" not in ev["data"]
        if ev["type"] == "grade.published":
            assert audience == {f"user:{c.student.id}"}
