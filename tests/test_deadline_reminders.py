"""Deadline reminders: 24 h and 1 h before due_at, only to students who have not handed in,
kept in Postgres, rescheduled with due_at, and each sent once even with concurrent scans."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server.jobs.deadline_reminders import run_due_reminders
from server.settings import Settings
from tests.assignment_helpers import START, course_cast, fresh, outbox_events, published, submit
from tests.course_helpers import API


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The periodic job scans once at start-up; these tests then drive the scans themselves.
    return settings.model_copy(update={"reminder_poll_seconds": 3600.0})


async def _setup(client, users):
    c = await course_cast(client, users, "edit_content")
    done = await users.create("Done Already")
    await client.post(f"{API}/courses/{c.course_id}/enrollments", headers=done.headers)
    a = await published(client, c.owner, c.course_id)  # due START + 2 days
    assert (await submit(client, done, a["id"])).status == 201
    return c, done, a


async def test_reminders_fire_24h_and_1h_before_to_students_who_have_not_submitted(
    client, users, db, clock, app
):
    c, _, a = await _setup(client, users)
    assert await run_due_reminders(app) == 0
    clock.set(START + timedelta(days=1) - timedelta(seconds=1))
    assert await run_due_reminders(app) == 0
    clock.set(START + timedelta(days=1))
    assert await run_due_reminders(app) == 1
    [ev] = await outbox_events(db, "deadline.reminder")
    assert ev["streams"] == [f"user:{c.student.id}"]
    assert ev["data"]["assignment_id"] == a["id"] and ev["data"]["before"] == "24h"
    assert await run_due_reminders(app) == 0  # once
    clock.set(START + timedelta(days=2) - timedelta(hours=1))
    assert await run_due_reminders(app) == 1
    assert [e["data"]["before"] for e in await outbox_events(db, "deadline.reminder")] == [
        "24h",
        "1h",
    ]


async def test_changing_due_at_reschedules(client, users, db, clock, app):
    c, _, a = await _setup(client, users)
    clock.set(START + timedelta(days=1))
    assert await run_due_reminders(app) == 1
    resp = await client.patch(
        f"{API}/assignments/{a['id']}",
        json={"due_at": (START + timedelta(days=5)).isoformat()},
        headers=fresh(users, c.owner),
    )
    assert resp.status == 200
    clock.set(START + timedelta(days=2) - timedelta(hours=1))  # the old 1 h mark: nothing
    assert await run_due_reminders(app) == 0
    clock.set(START + timedelta(days=4))  # the new 24 h mark
    assert await run_due_reminders(app) == 1
    rows = await db.fetch("SELECT kind, fire_at FROM deadline_reminders ORDER BY kind")
    assert {r["kind"]: r["fire_at"] for r in rows} == {
        "1h": START + timedelta(days=5, hours=-1),
        "24h": START + timedelta(days=4),
    }


async def test_concurrent_scans_send_each_reminder_once(client, users, db, clock, app):
    c = await course_cast(client, users, "edit_content")
    for i in range(6):
        await published(client, c.owner, c.course_id, title=f"Task {i}")
    clock.set(START + timedelta(days=1))
    sent = await asyncio.gather(*(run_due_reminders(app) for _ in range(5)))
    assert sum(sent) == 6
    assert len(await outbox_events(db, "deadline.reminder")) == 6


async def test_deleted_and_late_published_assignments(client, users, db, clock, app):
    c = await course_cast(client, users, "edit_content")
    gone = await published(client, c.owner, c.course_id, title="Deleted")
    await client.delete(f"{API}/assignments/{gone['id']}", headers=c.owner.headers)
    soon = await published(
        client, c.owner, c.course_id, title="Soon", due_at=(START + timedelta(hours=5)).isoformat()
    )
    kinds = await db.fetch("SELECT assignment_id, kind FROM deadline_reminders")
    assert [(str(r["assignment_id"]), r["kind"]) for r in kinds] == [(soon["id"], "1h")]
    clock.set(START + timedelta(days=3))  # long after: the server was down, nothing is useful
    assert await run_due_reminders(app) == 0
    assert await db.fetchval("SELECT count(*) FROM deadline_reminders WHERE sent_at IS NULL") == 0
