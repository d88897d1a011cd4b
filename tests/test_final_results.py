"""A student whose result is final (approved or failed) can no longer hand in work, start an
exam or rate the course; what they did before stays readable, and nothing is written."""

from __future__ import annotations

import pytest

from tests.assignment_helpers import auto_questions, published, right_answers, submit
from tests.course_helpers import API, cast


async def _set_status(client, c, status: str) -> None:
    resp = await client.patch(
        f"{API}/courses/{c.course_id}/members/{c.student.id}",
        json={"status": status},
        headers=c.owner.headers,
    )
    assert resp.status == 204, await resp.text()


async def _writes(db) -> tuple[int, int, int]:
    return (
        await db.fetchval("SELECT count(*) FROM submissions"),
        await db.fetchval("SELECT count(*) FROM exam_attempts"),
        await db.fetchval("SELECT count(*) FROM course_feedback"),
    )


def assert_final(resp, body: dict, status: str) -> None:
    assert resp.status == 409, body
    assert body["error"]["code"] == "result_final"
    assert body["error"]["details"] == [{"status": status}]


@pytest.mark.parametrize("status", ["approved", "failed"])
async def test_final_result_closes_work_and_rating(client, users, db, status):
    c = await cast(client, users, "grade")
    task = await published(client, c.owner, c.course_id, questions=auto_questions(), max_attempts=3)
    exam = await published(
        client, c.owner, c.course_id, kind="exam", time_limit_minutes=30, max_attempts=3
    )
    first = await submit(client, c.student, task["id"], answers=right_answers()[:2], key="k1")
    assert first.status == 201
    await _set_status(client, c, status)
    before = await _writes(db)

    again = await submit(client, c.student, task["id"], answers=right_answers()[:2])
    assert_final(again, await again.json(), status)
    attempt = await client.post(
        f"{API}/assignments/{exam['id']}/attempts", headers=c.student.headers
    )
    assert_final(attempt, await attempt.json(), status)
    rating = await client.post(
        f"{API}/courses/{c.course_id}/feedback", json={"rating": 5}, headers=c.student.headers
    )
    assert_final(rating, await rating.json(), status)
    assert await _writes(db) == before

    # A retry of work accepted before the result was set still gets its original answer.
    replay = await submit(client, c.student, task["id"], answers=right_answers()[:2], key="k1")
    assert replay.status == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert (await replay.json())["id"] == (await first.json())["id"]
    history = await client.get(
        f"{API}/assignments/{task['id']}/submissions/me", headers=c.student.headers
    )
    assert history.status == 200 and len((await history.json())["items"]) == 1
