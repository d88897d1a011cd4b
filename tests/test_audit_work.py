"""Assignments, exam attempts, submissions, grades, feedback, uploads and reminders: each kind
of action, caused through REST (or by the reminder job), leaves its audit record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.jobs.deadline_reminders import run_due_reminders
from server.settings import Settings
from tests.assignment_helpers import (
    PDF,
    START,
    assignment_body,
    auto_questions,
    course_cast,
    published,
    submit,
    upload,
)
from tests.audit_helpers import audit_entries, request_id, the_audit, traced, user_actor
from tests.course_helpers import API


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_relay_enabled = False  # no sockets here: the tests read the outbox
    settings.reminder_poll_seconds = 3600.0  # the test runs the reminder scan itself
    return settings


async def test_assignment_lifecycle(client, users, db):
    c = await course_cast(client, users, "edit_content")
    h = c.owner.headers
    rid = request_id()
    resp = await client.post(
        f"{API}/courses/{c.course_id}/assignments",
        json=assignment_body(),
        headers=traced(h, rid),
    )
    a = await resp.json()
    created = await the_audit(db, rid, "assignment.create")
    assert created["actor"] == user_actor(c.owner.id)
    assert created["target"] == {"kind": "assignment", "id": a["id"]}
    assert created["changes"]["title"] == [None, "Homework 1"]
    # Questions carry their answer keys: the audit shows how many, not what they are.
    assert created["changes"]["question_count"] == [None, 3]
    assert "questions" not in created["changes"]

    rid = request_id()
    resp = await client.patch(
        f"{API}/assignments/{a['id']}",
        json={"title": "Homework one", "max_attempts": 2},
        headers=traced(h, rid),
    )
    assert resp.status == 200, await resp.text()
    assert (await the_audit(db, rid, "assignment.update"))["changes"] == {
        "title": ["Homework 1", "Homework one"],
        "max_attempts": [1, 2],
    }
    rid = request_id()
    resp = await client.post(f"{API}/assignments/{a['id']}/publish", headers=traced(h, rid))
    assert resp.status == 200
    assert (await the_audit(db, rid, "assignment.publish"))["changes"] == {
        "published_at": [None, START.isoformat()]
    }
    rid = request_id()
    assert (
        await client.delete(f"{API}/assignments/{a['id']}", headers=traced(h, rid))
    ).status == 204
    assert (await the_audit(db, rid, "assignment.delete"))["changes"] == {
        "deleted_at": [None, START.isoformat()]
    }


async def test_attempt_submission_and_grades(client, users, db):
    c = await course_cast(client, users, "grade")
    exam = await published(
        client, c.owner, c.course_id, kind="exam", time_limit_minutes=30, questions=auto_questions()
    )
    rid = request_id()
    resp = await client.post(
        f"{API}/assignments/{exam['id']}/attempts", headers=traced(c.student.headers, rid)
    )
    attempt = await resp.json()
    started = await the_audit(db, rid, "attempt.start")
    assert started["actor"] == user_actor(c.student.id)
    assert started["target"] == {"kind": "attempt", "id": attempt["id"]}
    assert started["changes"]["attempt"] == [None, 1]
    again = request_id()
    resp = await client.post(
        f"{API}/assignments/{exam['id']}/attempts", headers=traced(c.student.headers, again)
    )
    assert resp.status == 200 and await audit_entries(db, again) == []  # the running one

    task = await published(client, c.owner, c.course_id)
    rid = request_id()
    sub = await (await submit(client, traced(c.student.headers, rid), task["id"], key="k1")).json()
    submitted = await the_audit(db, rid, "submission.create")
    assert submitted["target"] == {"kind": "submission", "id": sub["id"]}
    assert submitted["changes"]["assignment_id"] == [None, task["id"]]
    assert submitted["changes"]["auto_score"] == [None, 3.0]
    assert "answers" not in submitted["changes"]
    replay = request_id()
    resp = await submit(client, traced(c.student.headers, replay), task["id"], key="k1")
    assert resp.headers["Idempotent-Replayed"] == "true"
    assert await audit_entries(db, replay) == []

    rid = request_id()
    resp = await client.put(
        f"{API}/submissions/{sub['id']}/grade",
        json={"question_scores": {"q3": 3}, "feedback": "Well argued."},
        headers=traced(c.assistant_with.headers, rid),
    )
    assert resp.status == 200, await resp.text()
    graded = await the_audit(db, rid, "grade.save")
    assert graded["actor"] == user_actor(c.assistant_with.id)
    assert graded["target"] == {"kind": "grade", "id": sub["id"]}
    assert graded["changes"] == {
        "score": [None, 6.0],
        "feedback": [None, "Well argued."],
        "question_scores": [None, {"q3": 3.0}],
    }
    rid = request_id()
    resp = await client.post(
        f"{API}/submissions/{sub['id']}/publish-grade", headers=traced(c.owner.headers, rid)
    )
    assert resp.status == 200
    assert (await the_audit(db, rid, "grade.publish"))["changes"] == {
        "published_score": [None, 6.0]
    }
    nothing_left = request_id()
    resp = await client.post(
        f"{API}/assignments/{task['id']}/publish-grades",
        headers=traced(c.owner.headers, nothing_left),
    )
    assert (await resp.json())["published"] == 0
    assert await audit_entries(db, nothing_left) == []


async def test_course_and_student_feedback(client, users, db):
    c = await course_cast(client, users, "grade")
    url = f"{API}/courses/{c.course_id}/feedback"
    rid = request_id()
    body = {"rating": 4, "comment": "Clear."}
    assert (await client.post(url, json=body, headers=traced(c.student.headers, rid))).status == 201
    created = await the_audit(db, rid, "course_feedback.create")
    assert created["target"] == {"kind": "course_feedback", "id": f"{c.course_id}:{c.student.id}"}
    assert created["changes"] == {"rating": [None, 4], "comment": [None, "Clear."]}
    rid = request_id()
    body = {"rating": 5, "comment": "Clear."}
    assert (await client.post(url, json=body, headers=traced(c.student.headers, rid))).status == 200
    assert (await the_audit(db, rid, "course_feedback.update"))["changes"] == {"rating": [4, 5]}

    rid = request_id()
    resp = await client.post(
        f"{API}/courses/{c.course_id}/students/{c.student.id}/feedback",
        json={"rating": 3, "comment": "Participate more."},
        headers=traced(c.assistant_with.headers, rid),
    )
    feedback = await resp.json()
    given = await the_audit(db, rid, "feedback.create")
    assert given["actor"] == user_actor(c.assistant_with.id)
    assert given["target"] == {"kind": "feedback", "id": feedback["id"]}
    assert given["changes"]["student_id"] == [None, str(c.student.id)]
    assert given["changes"]["rating"] == [None, 3]


async def test_upload(client, users, db):
    user = await users.create()
    rid = request_id()
    resp = await upload(client, traced(user.headers, rid), PDF, "notes.pdf", "application/pdf")
    stored = await resp.json()
    uploaded = await the_audit(db, rid, "file.upload")
    assert uploaded["target"] == {"kind": "file", "id": stored["file_id"]}
    assert uploaded["changes"] == {
        "filename": [None, "notes.pdf"],
        "content_type": [None, "application/pdf"],
        "size_bytes": [None, len(PDF)],
    }


async def test_reminders_are_sent_by_the_system(client, users, db, clock, app):
    c = await course_cast(client, users, "edit_content")
    a = await published(client, c.owner, c.course_id)  # due START + 2 days
    before = len(await audit_entries(db))
    assert await run_due_reminders(app) == 0
    assert len(await audit_entries(db)) == before  # an empty scan changes nothing
    clock.set(START + timedelta(days=1))
    assert await run_due_reminders(app) == 1
    [sent] = [e for e in await audit_entries(db) if e["action"] == "reminder.send"]
    assert sent["actor"] == {"kind": "system", "id": None}
    assert sent["ip"] is None and sent["request_id"] is None
    assert sent["target"] == {"kind": "reminder", "id": f"{a['id']}:24h"}
    assert sent["changes"]["recipients"] == [None, 1]
