"""Anonymous authors over REST (hidden from classmates on every read route, shown to staff and
to themselves), who may post anonymously, and the per-user posting rate limit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server.settings import Settings
from tests.course_helpers import API, enroll
from tests.forum_helpers import answer, ask, error_of, forum


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.forum_post_limit = 3
    settings.forum_post_window_seconds = 60
    return settings


async def test_an_anonymous_author_reaches_no_classmate_through_any_route(client, users, clock):
    f = await forum(client, users)
    reader = await users.create("Rex Reader")
    await enroll(client, reader, f.course_id)
    thread = await ask(client, f.student, f.course_id, anonymous=True, title="Shy question")
    reply = await answer(client, f.classmate, thread["id"], anonymous=True, body="Shy answer")
    clock.advance(timedelta(minutes=2))
    for url, body in (
        (f"/forum/threads/{thread['id']}", {"body": "edited by its author"}),
        (f"/forum/answers/{reply['id']}", {"body": "answer edited by its author"}),
    ):
        resp = await client.patch(API + url, json=body, headers=f.student.headers
                                  if "threads" in url else f.classmate.headers)  # fmt: skip
        assert resp.status == 200
    secrets = (str(f.student.id), "Sam Student", str(f.classmate.id), "Carla Classmate")
    reads = [
        ("GET", f"/courses/{f.course_id}/forum/threads", None),
        ("GET", f"/courses/{f.course_id}/forum/threads?q=shy", None),
        ("GET", f"/forum/threads/{thread['id']}", None),
        ("GET", f"/forum/threads/{thread['id']}/history", None),
        ("GET", f"/forum/answers/{reply['id']}/history", None),
        ("PUT", f"/forum/threads/{thread['id']}/vote", {"value": 1}),
        ("PUT", f"/forum/answers/{reply['id']}/vote", {"value": 1}),
        ("POST", f"/forum/threads/{thread['id']}/answers", {"body": "Me too"}),
    ]
    for method, path, body in reads:
        resp = await client.request(method, API + path, json=body, headers=reader.headers)
        assert resp.status in (200, 201), path
        text = await resp.text()
        assert not [s for s in secrets if s in text], (path, text)
    seen = await (
        await client.get(f"{API}/forum/threads/{thread['id']}", headers=reader.headers)
    ).json()
    assert seen["anonymous"] is True and seen["author"] is None
    assert seen["answers"][0]["author"] is None
    for staff in (f.owner, f.assistant):
        staff_view = await (
            await client.get(f"{API}/forum/threads/{thread['id']}", headers=staff.headers)
        ).json()
        assert staff_view["author"]["id"] == str(f.student.id)
        assert staff_view["answers"][0]["author"]["name"] == "Carla Classmate"
        history = await (
            await client.get(f"{API}/forum/threads/{thread['id']}/history", headers=staff.headers)
        ).json()
        assert {v["written_by"]["name"] for v in history["versions"]} == {"Sam Student"}
    own = await (
        await client.get(f"{API}/forum/threads/{thread['id']}", headers=f.student.headers)
    ).json()
    assert own["author"]["id"] == str(f.student.id) and own["mine"] is True
    # The classmate (an anonymous answerer) does not learn who asked either.
    theirs = await (
        await client.get(f"{API}/forum/threads/{thread['id']}", headers=f.classmate.headers)
    ).json()
    assert theirs["author"] is None and theirs["answers"][0]["author"]["name"] == "Carla Classmate"


async def test_staff_posts_under_their_names(client, users):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id)
    for who in (f.owner, f.assistant):
        resp = await client.post(
            f"{API}/forum/threads/{thread['id']}/answers",
            json={"body": "hello", "anonymous": True},
            headers=who.headers,
        )
        assert await error_of(resp) == (422, "anonymous_not_allowed")


async def test_posting_is_rate_limited_per_user(client, users, db, clock):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id)  # 1
    await answer(client, f.student, thread["id"])  # 2
    clock.advance(timedelta(seconds=30))
    await answer(client, f.student, thread["id"])  # 3
    resp = await client.post(
        f"{API}/forum/threads/{thread['id']}/answers", json={"body": "4th"},
        headers=f.student.headers,
    )  # fmt: skip
    assert await error_of(resp) == (429, "rate_limited")
    assert resp.headers["Retry-After"] == "30"  # the first of the three leaves the window then
    resp = await client.post(
        f"{API}/courses/{f.course_id}/forum/threads",
        json={"title": "Another one", "body": "x"},
        headers=f.student.headers,
    )
    assert resp.status == 429
    assert await db.fetchval("SELECT count(*) FROM forum_posts") == 3
    await answer(client, f.classmate, thread["id"])  # others are not limited by it
    clock.advance(timedelta(seconds=31))
    await answer(client, f.student, thread["id"])  # the window moved on


async def test_concurrent_posts_count_each_other(client, users, db):
    f = await forum(client, users)
    thread = await ask(client, f.classmate, f.course_id)
    url = f"{API}/forum/threads/{thread['id']}/answers"
    results = await asyncio.gather(
        *(client.post(url, json={"body": f"try {i}"}, headers=f.student.headers) for i in range(6))
    )
    assert sorted(r.status for r in results) == [201, 201, 201, 429, 429, 429]
    mine = "SELECT count(*) FROM forum_posts WHERE author_id = $1"
    assert await db.fetchval(mine, f.student.id) == 3


async def test_an_edit_notifies_only_the_newly_mentioned(client, users, db):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id, body="@Carla Classmate look")
    resp = await client.patch(
        f"{API}/forum/threads/{thread['id']}",
        json={"body": "@Carla Classmate and @Olga Owner, look"},
        headers=f.student.headers,
    )
    assert resp.status == 200
    rows = await db.fetch(
        "SELECT data->>'user_id' AS user_id FROM outbox WHERE type = 'forum.mentioned' "
        "ORDER BY position"
    )
    assert [r["user_id"] for r in rows] == [str(f.classmate.id), str(f.owner.id)]
