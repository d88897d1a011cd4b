"""Forum threads over HTTP: asking, reading, Markdown as written and rendered safely, the list's
filters, sorts and cursors, edits (with history), pinning and locking."""

from __future__ import annotations

import uuid
from datetime import timedelta
from html.parser import HTMLParser

from tests.course_helpers import API, events
from tests.forum_helpers import answer, ask, error_of, forum, listing, read


def markup(html: str) -> list[tuple[str, list]]:
    """Every element in `html` with its attributes, as a browser's parser sees them."""
    found: list[tuple[str, list]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(html)
    return found


async def test_a_question_is_stored_as_written_and_read_back_with_its_rendering(client, users, db):
    f = await forum(client, users)
    module = await client.post(
        f"{API}/courses/{f.course_id}/modules",
        json={"title": "Week 1"},
        headers=f.owner.headers,
    )
    module_id = (await module.json())["id"]
    thread = await ask(
        client, f.student, f.course_id, tags=["Setup", "setup", "week-1"], module_id=module_id
    )
    assert thread["title"] == "How do I start the project?"
    assert thread["tags"] == ["setup", "week-1"]  # lower case, once each
    assert thread["module_id"] == module_id
    assert thread["author"] == {"id": str(f.student.id), "name": "Sam Student"}
    assert thread["mine"] is True and thread["following"] is True
    assert thread["body"] == "I am **stuck** on step one."
    assert thread["body_html"] == "<p>I am <strong>stuck</strong> on step one.</p>\n"
    assert thread["votes"] == {"score": 0, "upvotes": 0, "downvotes": 0}
    assert thread["answers"] == [] and thread["answer_count"] == 0
    seen = await read(client, f.classmate, thread["id"])
    assert seen["mine"] is False and seen["following"] is False
    assert {k: v for k, v in seen.items() if k not in ("mine", "following")} == {
        k: v for k, v in thread.items() if k not in ("mine", "following")
    }
    [created] = await events(db, "forum.thread_created")
    assert created["streams"] == [f"course:{f.course_id}"]
    assert created["data"]["thread"]["title"] == thread["title"]


async def test_no_script_or_html_passes_through_a_body(client, users):
    f = await forum(client, users)
    nasty = (
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3)) [ok](https://example.org) <b onclick=x>b</b>"
    )
    thread = await ask(client, f.student, f.course_id, body=nasty)
    answered = await answer(client, f.classmate, thread["id"], body=nasty)
    for post in (thread, answered, (await read(client, f.owner, thread["id"]))["answers"][0]):
        assert post["body"] == nasty  # stored and returned exactly as written
        html = post["body_html"]
        assert markup(html) == [
            ("p", []), ("p", []), ("p", []),
            ("a", [("href", "https://example.org"), ("rel", "nofollow noopener noreferrer")]),
        ]  # fmt: skip
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, inert


async def test_bad_input_is_refused_and_writes_nothing(client, users, db):
    f = await forum(client, users)
    other = await client.post(
        f"{API}/courses", json=__import__("tests.course_helpers").course_helpers.course_body(),
        headers=f.owner.headers,
    )  # fmt: skip
    foreign_module = await client.post(
        f"{API}/courses/{(await other.json())['id']}/modules",
        json={"title": "Elsewhere"},
        headers=f.owner.headers,
    )
    url = f"{API}/courses/{f.course_id}/forum/threads"
    cases = [
        ({"title": "Hi", "body": "x"}, "validation_failed"),  # title too short
        ({"title": "Fine title", "body": "   "}, "validation_failed"),
        ({"title": "Fine title", "body": "x", "tags": ["no spaces"]}, "validation_failed"),
        ({"title": "Fine title", "body": "x", "tags": list("abcdef")}, "validation_failed"),
        ({"title": "Fine title", "body": "x", "extra": 1}, "validation_failed"),
        (
            {"title": "Fine title", "body": "x", "module_id": (await foreign_module.json())["id"]},
            "invalid_module",
        ),
        ({"title": "Fine title", "body": "x", "anonymous": True}, "anonymous_not_allowed"),
    ]
    for body, code in cases:
        resp = await client.post(url, json=body, headers=f.owner.headers)  # staff: no anonymity
        assert await error_of(resp) == (422, code), body
    assert await db.fetchval("SELECT count(*) FROM forum_posts") == 0
    assert await db.fetchval("SELECT count(*) FROM forum_threads") == 0
    resp = await client.get(f"{url}?sort=relevance", headers=f.student.headers)
    assert await error_of(resp) == (422, "relevance_needs_q")
    resp = await client.get(f"{url}?cursor=garbage", headers=f.student.headers)
    assert await error_of(resp) == (422, "invalid_cursor")
    resp = await client.get(f"{url}?limit=500", headers=f.student.headers)
    assert await error_of(resp) == (422, "validation_failed")


async def test_the_list_filters_sorts_and_pages_with_pinned_threads_first(client, users, clock):
    f = await forum(client, users)
    module = await client.post(
        f"{API}/courses/{f.course_id}/modules", json={"title": "W1"}, headers=f.owner.headers
    )
    module_id = (await module.json())["id"]
    made = []
    for i in range(6):
        clock.advance(timedelta(minutes=1))
        author = f.student if i % 2 else f.classmate
        made.append(
            await ask(
                client, author, f.course_id, title=f"Question number {i}",
                tags=["even"] if i % 2 == 0 else [], module_id=module_id if i < 2 else None,
            )
        )  # fmt: skip
    ids = [t["id"] for t in made]
    clock.advance(timedelta(minutes=1))
    await answer(client, f.owner, ids[1])  # thread 1 becomes the most active
    vote = await client.put(
        f"{API}/forum/threads/{ids[3]}/vote", json={"value": 1}, headers=f.owner.headers
    )
    assert vote.status == 200
    pin = await client.patch(
        f"{API}/forum/threads/{ids[0]}", json={"pinned": True}, headers=f.assistant.headers
    )
    assert pin.status == 200 and (await pin.json())["pinned"] is True

    def order(page):
        return [ids.index(t["id"]) for t in page["items"]]

    assert order(await listing(client, f.student, f.course_id)) == [0, 1, 5, 4, 3, 2]
    assert order(await listing(client, f.student, f.course_id, sort="recent")) == [0, 5, 4, 3, 2, 1]
    assert order(await listing(client, f.student, f.course_id, sort="votes"))[:2] == [0, 3]
    assert order(await listing(client, f.student, f.course_id, tag="even")) == [0, 4, 2]
    assert order(await listing(client, f.student, f.course_id, module_id=module_id)) == [0, 1]
    assert order(await listing(client, f.student, f.course_id, unanswered="true")) == [
        0,
        5,
        4,
        3,
        2,
    ]
    for sort in ("activity", "recent", "votes"):
        seen, cursor = [], None
        while True:
            query = {"sort": sort, "limit": 4, **({"cursor": cursor} if cursor else {})}
            page = await listing(client, f.student, f.course_id, **query)
            seen += order(page)
            if not (cursor := page["next_cursor"]):
                break
        full = order(await listing(client, f.student, f.course_id, sort=sort))
        assert seen == full and sorted(seen) == list(range(6)), sort
    cursor = (await listing(client, f.student, f.course_id, sort="votes", limit=2))["next_cursor"]
    resp = await client.get(
        f"{API}/courses/{f.course_id}/forum/threads",
        params={"sort": "recent", "cursor": cursor},
        headers=f.student.headers,
    )
    assert await error_of(resp) == (422, "invalid_cursor")  # a cursor of another sort


async def test_edits_keep_their_history_and_moderation_is_for_staff(client, users, db, clock):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id, title="First title", body="v1")
    url = f"{API}/forum/threads/{thread['id']}"
    clock.advance(timedelta(minutes=1))
    resp = await client.patch(url, json={"body": "v2"}, headers=f.student.headers)
    assert resp.status == 200 and (await resp.json())["version"] == 2
    clock.advance(timedelta(minutes=1))
    resp = await client.patch(
        url, json={"title": "Better title"}, headers=f.assistant.headers
    )  # staff may edit anyone's
    assert resp.status == 200
    edited = await resp.json()
    assert (edited["title"], edited["body"], edited["version"]) == ("Better title", "v2", 3)
    assert edited["edited_at"] is not None
    refused = await client.patch(url, json={"body": "hijack"}, headers=f.classmate.headers)
    assert await error_of(refused) == (403, "forbidden")
    for change in ({"pinned": True}, {"locked": True}):
        refused = await client.patch(url, json=change, headers=f.student.headers)  # the author
        assert await error_of(refused) == (403, "forbidden")
    resp = await client.get(f"{url}/history", headers=f.classmate.headers)
    history = await resp.json()
    assert [(v["version"], v["title"], v["body"]) for v in history["versions"]] == [
        (3, "Better title", "v2"),
        (2, "First title", "v2"),
        (1, "First title", "v1"),
    ]
    writers = [v["written_by"]["name"] for v in history["versions"]]
    assert writers == ["Andrés Assistant", "Sam Student", "Sam Student"]
    same = await client.patch(url, json={"title": "Better title"}, headers=f.student.headers)
    assert same.status == 200 and (await same.json())["version"] == 3  # nothing changed
    audits = await events(db, "audit.recorded")
    updates = [a["data"] for a in audits if a["data"]["action"] == "forum_thread.update"]
    assert [u["changes"] for u in updates] == [
        {"body": ["v1", "v2"]},
        {"title": ["First title", "Better title"]},
    ]


async def test_a_locked_thread_takes_no_answers(client, users, db):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id)
    url = f"{API}/forum/threads/{thread['id']}"
    resp = await client.patch(url, json={"locked": True}, headers=f.owner.headers)
    assert resp.status == 200 and (await resp.json())["locked"] is True
    for who in (f.classmate, f.student, f.assistant, f.owner):
        resp = await client.post(f"{url}/answers", json={"body": "late"}, headers=who.headers)
        assert await error_of(resp) == (409, "thread_locked")
    assert await db.fetchval("SELECT count(*) FROM forum_posts WHERE kind = 'answer'") == 0
    [updated] = await events(db, "forum.thread_updated")
    assert updated["data"]["fields"] == ["locked"] and updated["data"]["thread"]["locked"]
    resp = await client.patch(url, json={"locked": False}, headers=f.assistant.headers)
    assert resp.status == 200
    await answer(client, f.classmate, thread["id"])


async def test_a_deleted_course_keeps_its_forum_readable_for_members_only(client, users):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id)
    resp = await client.get(f"{API}/courses/{uuid.uuid4()}/forum/threads", headers=f.owner.headers)
    assert await error_of(resp) == (404, "course_not_found")
    resp = await client.get(f"{API}/forum/threads/{uuid.uuid4()}", headers=f.owner.headers)
    assert await error_of(resp) == (404, "thread_not_found")
    resp = await client.get(f"{API}/forum/threads/not-a-uuid", headers=f.owner.headers)
    assert await error_of(resp) == (404, "thread_not_found")
    assert (
        await client.delete(f"{API}/courses/{f.course_id}", headers=f.owner.headers)
    ).status == 204
    assert [t["id"] for t in (await listing(client, f.classmate, f.course_id))["items"]] == [
        thread["id"]
    ]
    assert (await read(client, f.classmate, thread["id"]))["id"] == thread["id"]
    for resp in (
        await client.get(f"{API}/courses/{f.course_id}/forum/threads", headers=f.stranger.headers),
        await client.get(f"{API}/forum/threads/{thread['id']}", headers=f.stranger.headers),
    ):
        assert (await error_of(resp))[0] == 404  # gone for everyone else
    for resp in (
        await client.post(
            f"{API}/courses/{f.course_id}/forum/threads",
            json={"title": "Still there?", "body": "x"},
            headers=f.student.headers,
        ),
        await client.post(
            f"{API}/forum/threads/{thread['id']}/answers", json={"body": "x"},
            headers=f.classmate.headers,
        ),
        await client.put(
            f"{API}/forum/threads/{thread['id']}/vote", json={"value": 1},
            headers=f.classmate.headers,
        ),
    ):  # fmt: skip
        assert await error_of(resp) == (409, "course_deleted")
