"""The weekly course.at_risk_digest: due Monday 08:00 Buenos Aires time, recorded once per course
and week (also with concurrent scans), for the course's staff, with what a notification needs."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime

import pytest

from server.jobs.at_risk_digest import run_at_risk_digests
from server.settings import Settings
from tests.analytics_helpers import course_history
from tests.assignment_helpers import outbox_events


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The periodic job scans once at start-up (empty tables); these tests then drive it.
    return settings.model_copy(update={"at_risk_digest_poll_seconds": 3600.0})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_digest_once_per_week_for_the_staff(client, users, clock, db, app):
    h = await course_history(client, users, clock, feedback=False)  # Thursday 2026-02-05
    assert await run_at_risk_digests(app) == 1
    [ev] = await outbox_events(db, "course.at_risk_digest")
    assert ev["streams"] == [f"course:{h.c.course_id}:staff"]
    data = ev["data"]
    assert data["course_id"] == h.c.course_id and data["title"] == "Intro to Astronomy"
    assert data["week"] == "2026-W06"
    assert data["counts"] == {
        "students": 2,
        "at_risk": 1,
        "missed_assignments": 1,
        "grade_drop": 1,
        "inactive": 1,
    }
    [sam] = data["students"]
    assert sam["student_id"] == str(h.sam.id) and sam["name"] == "Sam Student"
    assert [r["rule"] for r in sam["reasons"]] == ["missed_assignments", "grade_drop", "inactive"]
    assert sam["reasons"][2]["messages"] == {
        "es": "Sin entregas ni actividad en el foro hace 31 días.",
        "en": "No submission or forum activity for 31 days.",
    }
    assert await run_at_risk_digests(app) == 0  # the week's digest is out
    clock.set(at("2026-02-09T10:59:00+00:00"))  # Monday 07:59 in Buenos Aires: not yet
    assert await run_at_risk_digests(app) == 0
    clock.set(at("2026-02-09T11:00:00+00:00"))
    assert await run_at_risk_digests(app) == 1
    weeks = [e["data"]["week"] for e in await outbox_events(db, "course.at_risk_digest")]
    assert weeks == ["2026-W06", "2026-W07"]


async def test_concurrent_scans_record_each_digest_once(client, users, clock, db, app):
    await course_history(client, users, clock, feedback=False)
    recorded = await asyncio.gather(*(run_at_risk_digests(app) for _ in range(5)))
    assert sum(recorded) == 1
    assert len(await outbox_events(db, "course.at_risk_digest")) == 1
    assert await db.fetchval("SELECT count(*) FROM at_risk_digests") == 1


async def test_a_quiet_week_is_claimed_without_an_event(client, users, clock, db, app):
    h = await course_history(client, users, clock, feedback=False)
    await db.execute("UPDATE course_members SET status = 'removed' WHERE user_id = $1", h.sam.id)
    assert await run_at_risk_digests(app) == 0
    assert await outbox_events(db, "course.at_risk_digest") == []
    row = await db.fetchrow("SELECT week, at_risk FROM at_risk_digests")
    assert (str(row["week"]), row["at_risk"]) == ("2026-02-02", 0)
    # Still a change the audit log hears about, made by the system.
    [audit] = await db.fetch(
        "SELECT data::text AS data, context::text AS context FROM outbox "
        "WHERE type = 'audit.recorded' AND data->>'action' = 'at_risk_digest.record'"
    )
    assert json.loads(audit["data"])["target"] == {"kind": "course", "id": h.c.course_id}
    assert json.loads(audit["data"])["changes"] == {
        "week": [None, "2026-02-02"],
        "at_risk": [None, 0],
    }
    assert json.loads(audit["context"])["actor"] == {"kind": "system", "id": None}


async def test_deleted_and_finished_courses_get_none(client, users, clock, db, app):
    h = await course_history(client, users, clock, feedback=False)
    course_id = uuid.UUID(h.c.course_id)
    await db.execute("UPDATE courses SET ends_on = '2026-01-28' WHERE id = $1", course_id)
    assert await run_at_risk_digests(app) == 0  # ended more than a week ago
    await db.execute("UPDATE courses SET ends_on = '2026-01-30' WHERE id = $1", course_id)
    await db.execute("UPDATE courses SET deleted_at = $2 WHERE id = $1", course_id, clock.now())
    assert await run_at_risk_digests(app) == 0
    await db.execute("UPDATE courses SET deleted_at = NULL WHERE id = $1", course_id)
    assert await run_at_risk_digests(app) == 1  # within the week after its end
