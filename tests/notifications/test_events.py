"""Each event the services record today, caused over REST, notifies the people the table names
(and nobody else), on the channels its defaults turn on."""

from __future__ import annotations

from datetime import timedelta

from server.jobs.deadline_reminders import run_due_reminders
from tests.accounts_flow import signup
from tests.assignment_helpers import START, fresh, published, submit
from tests.consumer_helpers import settled
from tests.course_helpers import API, cast, create_course, enroll
from tests.notifications.helpers import deliveries, inbox


async def types_of(client, user) -> list[str]:
    return [i["type"] for i in (await inbox(client, user))["items"]]


async def test_membership_events_reach_the_member(client, users, db, mongo):
    c = await cast(client, users, "grade")
    resp = await client.patch(
        f"{API}/courses/{c.course_id}/members/{c.student.id}",
        json={"status": "approved"},
        headers=c.owner.headers,
    )
    assert resp.status == 204
    resp = await client.delete(
        f"{API}/courses/{c.course_id}/assistants/{c.assistant_with.id}", headers=c.owner.headers
    )
    assert resp.status == 204
    await settled(db)

    assert await types_of(client, c.student) == ["member.status_changed", "enrollment.created"]
    [approved] = (await inbox(client, c.student))["items"][:1]
    assert approved["title"] == "¡Aprobaste!" and approved["data"]["status"] == "approved"
    assert await types_of(client, c.assistant_with) == ["assistant.revoked", "assistant.assigned"]
    assert await types_of(client, c.assistant_without) == ["assistant.assigned"]
    assert await types_of(client, c.owner) == []
    assert await types_of(client, c.other) == []

    sid = str(c.student.id)
    enrolled = await deliveries(mongo, type="enrollment.created", user=c.student)
    assert enrolled[sid, "email"]["status"] == "queued"
    assert enrolled[sid, "email"]["email"] == c.student.email
    assert (sid, "push") not in enrolled  # push is not used for enrollments unless asked
    status = await deliveries(mongo, type="member.status_changed", user=c.student)
    assert {k[1]: d["status"] for k, d in status.items()} == {"email": "queued", "push": "queued"}


async def test_work_and_grades_reach_staff_and_the_student(client, users, db, mongo):
    c = await cast(client, users, "grade")
    task = await published(client, c.owner, c.course_id, title="Essay")
    resp = await submit(client, c.student, task["id"])
    assert resp.status == 201
    submission = await resp.json()
    await settled(db)
    for staff in (c.owner, c.assistant_with, c.assistant_without):
        [item] = (await inbox(client, staff))["items"][:1]
        assert item["type"] == "submission.created"
        assert item["body"] == "Sam Student entregó «Essay»."
        assert item["data"]["submission_id"] == submission["id"]
    assert await deliveries(mongo, type="submission.created") == {}  # in_app only by default

    url = f"{API}/submissions/{submission['id']}"
    grade = await client.put(
        f"{url}/grade", json={"score": 5, "question_scores": {"q3": 2}}, headers=c.owner.headers
    )
    assert grade.status == 200, await grade.text()
    assert (await client.post(f"{url}/publish-grade", headers=c.owner.headers)).status == 200
    resp = await client.post(
        f"{API}/courses/{c.course_id}/students/{c.student.id}/feedback",
        json={"rating": 5, "comment": "Great work"},
        headers=c.owner.headers,
    )
    assert resp.status == 201
    rating = await client.post(
        f"{API}/courses/{c.course_id}/feedback", json={"rating": 4}, headers=c.student.headers
    )
    assert rating.status in (200, 201)
    await settled(db)

    types = await types_of(client, c.student)
    assert types[:2] == ["feedback.received", "grade.published"]
    graded = (await inbox(client, c.student))["items"][1]
    assert graded["body"] == "Obtuviste 5/6 en «Essay»."
    # A student's rating of the course is not a notice to anyone.
    assert "feedback.received" not in await types_of(client, c.owner)
    sent = await deliveries(mongo, type="grade.published")
    assert {k[1]: d["status"] for k, d in sent.items()} == {"email": "queued", "push": "queued"}


async def test_a_new_due_date_and_a_deleted_course_are_announced(client, users, db, clock):
    owner = await users.create("Owner")
    course = await create_course(client, owner, title="Physics")
    student = await users.create("Student")
    await enroll(client, student, course["id"])
    task = await published(client, owner, course["id"], title="Lab")
    retitled = await client.patch(
        f"{API}/assignments/{task['id']}", json={"title": "Lab 1"}, headers=owner.headers
    )
    assert retitled.status == 200
    moved = await client.patch(
        f"{API}/assignments/{task['id']}",
        json={"due_at": (START + timedelta(days=3)).isoformat()},
        headers=owner.headers,
    )
    assert moved.status == 200
    await settled(db)
    [changed] = [
        i for i in (await inbox(client, student))["items"] if i["type"] == "assignment.updated"
    ]
    assert changed["body"] == "«Lab 1» (Physics) ahora vence el 08/01/2026 06:00."

    assert (
        await client.delete(f"{API}/courses/{course['id']}", headers=owner.headers)
    ).status == 204
    await settled(db)
    [gone] = (await inbox(client, student))["items"][:1]
    assert (gone["type"], gone["body"]) == ("course.deleted", "El curso «Physics» fue eliminado.")
    owner_items = (await inbox(client, owner))["items"]
    assert "course.deleted" not in [i["type"] for i in owner_items]  # they deleted it


async def test_a_reminder_reaches_only_students_who_have_not_submitted(
    client, users, db, clock, app
):
    c = await cast(client, users, "grade")
    done = await users.create("Done Already")
    await enroll(client, done, c.course_id)
    task = await published(client, c.owner, c.course_id, title="Quiz")  # due START + 2 days
    assert (await submit(client, done, task["id"])).status == 201
    clock.set(START + timedelta(days=1))
    assert await run_due_reminders(app) == 1
    await settled(db)

    resp = await client.get(f"{API}/notifications", headers=fresh(users, c.student))
    [reminder] = (await resp.json())["items"][:1]
    assert reminder["type"] == "deadline.reminder"
    assert reminder["title"] == "Vence mañana: Quiz"
    assert reminder["data"]["before"] == "24h"
    resp = await client.get(f"{API}/notifications", headers=fresh(users, done))
    assert "deadline.reminder" not in [i["type"] for i in (await resp.json())["items"]]


async def test_a_lockout_sends_a_critical_email_the_owner_cannot_turn_off(
    client, settings, db, mongo
):
    session = await signup(client, settings.data_dir, "ana@example.com")
    me = {"Authorization": f"Bearer {session['access_token']}"}
    resp = await client.put(
        f"{API}/users/me/notification-preferences",
        json={"events": {"account.locked": {"email": "off"}}},
        headers=me,
    )
    assert (await resp.json())["error"]["code"] == "preference_locked"
    for _ in range(5):
        bad = {"email": "ana@example.com", "password": "wrong password"}
        await client.post(f"{API}/auth/login", json=bad)
    await settled(db)

    [sent] = (await deliveries(mongo, type="account.locked")).values()
    assert (sent["channel"], sent["status"], sent["critical"]) == ("email", "queued", True)
    assert sent["email"] == "ana@example.com" and sent["mode"] == "immediate"
    assert sent["title"] == "Inicio de sesión bloqueado por un rato"
    resp = await client.get(f"{API}/notifications", headers=me)
    assert "account.locked" not in [i["type"] for i in (await resp.json())["items"]]  # email only
