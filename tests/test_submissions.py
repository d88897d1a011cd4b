"""Submissions through HTTP: server time stamps, grace, late penalties, refusals, attempts,
history, auto-grading, timed exams and Idempotency-Key under concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.assignment_helpers import (
    START,
    auto_questions,
    course_cast,
    fresh,
    outbox_events,
    published,
    right_answers,
    submit,
)
from tests.course_helpers import API

LATE_OK = {"accept_late": True, "penalty_percent_per_day": 10, "max_late_days": 3}


async def test_submission_is_stamped_with_server_time_and_auto_graded(client, users, db, clock):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id)
    clock.advance(timedelta(minutes=5))
    wrong = [{"question_id": "q1", "choice": 0}, {"question_id": "q2", "choice": True}]
    resp = await submit(client, c.student, a["id"], answers=wrong)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["submitted_at"].startswith("2026-01-05T09:05:00")
    assert body["status"] == "submitted" and body["seconds_late"] == 0
    assert body["grade"] is None  # nothing is visible to the student before publishing
    assert "question_results" not in body and "correct" not in await resp.text()
    row = await db.fetchrow("SELECT auto_score::float8 AS s, needs_review FROM submissions")
    assert row["s"] == 1.0 and row["needs_review"] is False  # q3 (text) unanswered: 0 points
    [ev] = await outbox_events(db, "submission.created")
    assert set(ev["streams"]) == {
        f"assignment:{a['id']}:submissions",
        f"course:{c.course_id}:staff",
    }
    assert ev["data"]["counts"]["submitted"] == 1 and "answers" not in ev["data"]


async def test_text_answers_need_review_and_choices_are_scored(client, users, db):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id)
    assert (await submit(client, c.student, a["id"])).status == 201
    row = await db.fetchrow(
        "SELECT auto_score::float8 AS s, needs_review, graded_at FROM submissions"
    )
    assert row["s"] == 3.0 and row["needs_review"] is True and row["graded_at"] is None


async def test_within_grace_is_on_time_after_it_is_refused(client, users, db, clock):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id, max_attempts=2)
    clock.set(START + timedelta(days=2, minutes=10))  # due + grace exactly
    resp = await submit(client, fresh(users, c.student), a["id"])
    assert resp.status == 201 and (await resp.json())["status"] == "submitted"
    clock.advance(timedelta(seconds=1))
    resp = await client.post(
        f"{API}/assignments/{a['id']}/submissions",
        json={"answers": right_answers()},
        headers=fresh(users, c.student),
    )
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "deadline_passed"
    assert await db.fetchval("SELECT count(*) FROM submissions") == 1


async def test_late_work_gets_seconds_late_and_penalty(client, users, db, clock):
    c = await course_cast(client, users, "grade")
    a = await published(
        client, c.owner, c.course_id, late_policy=LATE_OK, questions=auto_questions()
    )
    clock.set(START + timedelta(days=2, minutes=10, hours=25))  # 25 h after due + grace
    resp = await client.post(
        f"{API}/assignments/{a['id']}/submissions",
        json={"answers": right_answers()[:2]},
        headers=fresh(users, c.student),
    )
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["status"] == "late" and body["seconds_late"] == 25 * 3600
    assert body["penalty_percent"] == 20  # two started days at 10 % each
    assert await db.fetchval("SELECT score::float8 FROM submissions") == 2.4  # 3 points - 20 %
    got = await client.get(f"{API}/assignments/{a['id']}", headers=fresh(users, c.student))
    assert (await got.json())["my_status"] == "late"


async def test_late_window_closes_after_max_late_days(client, users, clock):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id, late_policy=LATE_OK)
    clock.set(START + timedelta(days=5, minutes=11))  # 3 days and 1 minute after due + grace
    resp = await client.post(
        f"{API}/assignments/{a['id']}/submissions",
        json={"answers": right_answers()},
        headers=fresh(users, c.student),
    )
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "deadline_passed"


async def test_resubmission_until_max_attempts_keeps_history(client, users, db):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id, max_attempts=2)
    first = await submit(client, c.student, a["id"], answers=right_answers("first"))
    second = await submit(client, c.student, a["id"], answers=right_answers("second"))
    assert first.status == 201 and second.status == 201
    third = await submit(client, c.student, a["id"])
    assert third.status == 409
    assert (await third.json())["error"]["code"] == "max_attempts_reached"
    history = await (
        await client.get(f"{API}/assignments/{a['id']}/submissions/me", headers=c.student.headers)
    ).json()
    assert [s["attempt"] for s in history["items"]] == [1, 2]
    assert history["items"][0]["answers"][2]["text"] == "first"
    assert history["attempts_used"] == 2 and history["max_attempts"] == 2
    assert await db.fetchval("SELECT count(*) FROM submissions WHERE latest") == 1


async def test_answers_must_fit_their_questions(client, users, db):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id)
    for answers in (
        [{"question_id": "nope", "text": "x"}],
        [{"question_id": "q1", "choice": 7}],
        [{"question_id": "q2", "choice": 1}],
        [{"question_id": "q3", "choice": True}],
    ):
        resp = await submit(client, c.student, a["id"], answers=answers)
        assert resp.status == 422, answers
        assert (await resp.json())["error"]["code"] == "invalid_answers"
    resp = await submit(client, c.student, a["id"], answers=[{"question_id": "q3"}])
    assert resp.status == 422
    assert await db.fetchval("SELECT count(*) FROM submissions") == 0


async def test_idempotency_key_replays_the_same_response(client, users, db):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id, max_attempts=3)
    first = await submit(client, c.student, a["id"], key="k-1")
    again = await submit(client, c.student, a["id"], key="k-1")
    assert first.status == again.status == 201
    assert await first.read() == await again.read()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert await db.fetchval("SELECT count(*) FROM submissions") == 1
    other = await submit(client, c.student, a["id"], answers=right_answers("changed"), key="k-1")
    assert other.status == 422
    assert (await other.json())["error"]["code"] == "idempotency_key_reused"
    assert await db.fetchval("SELECT count(*) FROM submissions") == 1
    assert len(await outbox_events(db, "submission.created")) == 1
    too_long = await submit(client, c.student, a["id"], key="k" * 201)
    assert too_long.status == 422
    assert (await too_long.json())["error"]["code"] == "invalid_idempotency_key"


async def test_ten_parallel_requests_with_one_key_make_one_submission(client, users, db):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id, max_attempts=5)
    responses = await asyncio.gather(
        *(submit(client, c.student, a["id"], key="same-key") for _ in range(10))
    )
    assert [r.status for r in responses] == [201] * 10
    bodies = {await r.read() for r in responses}
    assert len(bodies) == 1
    assert await db.fetchval("SELECT count(*) FROM submissions") == 1
    assert await db.fetchval("SELECT used FROM assignment_attempts_used") == 1


async def test_parallel_submissions_without_key_respect_max_attempts(client, users, db):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id, max_attempts=3)
    responses = await asyncio.gather(*(submit(client, c.student, a["id"]) for _ in range(8)))
    assert sorted(r.status for r in responses) == [201] * 3 + [409] * 5
    attempts = await db.fetch("SELECT attempt FROM submissions ORDER BY attempt")
    assert [r["attempt"] for r in attempts] == [1, 2, 3]
    assert await db.fetchval("SELECT count(*) FROM submissions WHERE latest") == 1


async def test_timed_exam_deadline_and_slack(client, users, db, clock):
    c = await course_cast(client, users, "grade")
    exam = await published(
        client,
        c.owner,
        c.course_id,
        kind="exam",
        time_limit_minutes=30,
        questions=auto_questions(),
        max_attempts=2,
    )
    # No attempt started: answers are refused.
    resp = await submit(client, c.student, exam["id"], answers=right_answers()[:2])
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "attempt_required"
    started = await client.post(
        f"{API}/assignments/{exam['id']}/attempts", headers=c.student.headers
    )
    assert started.status == 201
    attempt = await started.json()
    assert attempt["deadline"].startswith("2026-01-05T09:30:00")
    again = await client.post(f"{API}/assignments/{exam['id']}/attempts", headers=c.student.headers)
    assert again.status == 200 and (await again.json())["id"] == attempt["id"]
    clock.advance(timedelta(minutes=30, seconds=30))  # deadline + 30 s slack: still taken
    resp = await submit(client, fresh(users, c.student), exam["id"], answers=right_answers()[:2])
    assert resp.status == 201 and (await resp.json())["status"] == "submitted"
    second = await client.post(
        f"{API}/assignments/{exam['id']}/attempts", headers=fresh(users, c.student)
    )
    assert second.status == 201 and (await second.json())["attempt"] == 2
    clock.advance(timedelta(minutes=30, seconds=31))
    resp = await client.post(
        f"{API}/assignments/{exam['id']}/submissions",
        json={"answers": right_answers()[:2]},
        headers=fresh(users, c.student),
    )
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "attempt_expired"
    assert await db.fetchval("SELECT count(*) FROM submissions") == 1


async def test_exam_deadline_is_capped_by_due_plus_grace(client, users, clock):
    c = await course_cast(client, users, "grade")
    exam = await published(
        client,
        c.owner,
        c.course_id,
        kind="exam",
        time_limit_minutes=60,
        grace_minutes=5,
        questions=auto_questions(),
    )
    task = await published(client, c.owner, c.course_id)
    clock.set(START + timedelta(days=2) - timedelta(minutes=20))
    started = await client.post(
        f"{API}/assignments/{exam['id']}/attempts", headers=fresh(users, c.student)
    )
    assert started.status == 201
    assert (await started.json())["deadline"].startswith("2026-01-07T09:05:00")
    resp = await client.post(
        f"{API}/assignments/{task['id']}/attempts", headers=fresh(users, c.student)
    )
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "not_an_exam"
