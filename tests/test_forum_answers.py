"""Answers, accepted answers, votes, endorsements and tombstones over HTTP."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.course_helpers import API, events
from tests.forum_helpers import answer, ask, error_of, forum, read


async def test_answers_accepting_one_and_moving_the_acceptance(client, users, db, clock):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id)
    first = await answer(client, f.classmate, thread["id"], body="Try A")
    clock.advance(timedelta(seconds=1))
    second = await answer(client, f.assistant, thread["id"], body="Try B")
    assert first["accepted"] is False and first["thread_id"] == thread["id"]
    url = f"{API}/forum/answers"
    refused = await client.post(f"{url}/{first['id']}/accept", headers=f.classmate.headers)
    assert await error_of(refused) == (403, "forbidden")  # its author is not the asker
    resp = await client.post(f"{url}/{first['id']}/accept", headers=f.student.headers)
    assert resp.status == 200 and (await resp.json())["accepted"] is True
    resp = await client.post(f"{url}/{second['id']}/accept", headers=f.owner.headers)
    assert resp.status == 200
    seen = await read(client, f.classmate, thread["id"])
    assert seen["accepted_answer_id"] == second["id"] and seen["answer_count"] == 2
    assert [(a["body"], a["accepted"]) for a in seen["answers"]] == [
        ("Try A", False),
        ("Try B", True),
    ]
    again = await client.post(f"{url}/{second['id']}/accept", headers=f.owner.headers)
    assert again.status == 200  # already accepted: nothing changes, nothing recorded
    moves = [e["data"] for e in await events(db, "forum.answer_accepted")]
    assert [(m["answer_id"], m["previous_answer_id"]) for m in moves] == [
        (first["id"], None),
        (second["id"], first["id"]),
    ]
    # The accepted answer deleted: the thread has none again.
    resp = await client.delete(f"{url}/{second['id']}", headers=f.assistant.headers)
    assert resp.status == 204
    seen = await read(client, f.student, thread["id"])
    assert seen["accepted_answer_id"] is None and seen["answer_count"] == 1
    resp = await client.post(f"{url}/{second['id']}/accept", headers=f.owner.headers)
    assert await error_of(resp) == (409, "post_deleted")


async def test_one_vote_per_user_never_on_your_own_post(client, users, db):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id)
    reply = await answer(client, f.classmate, thread["id"])
    vote = f"{API}/forum/threads/{thread['id']}/vote"
    own = await client.put(vote, json={"value": 1}, headers=f.student.headers)
    assert await error_of(own) == (422, "own_post")
    own = await client.put(
        f"{API}/forum/answers/{reply['id']}/vote", json={"value": -1}, headers=f.classmate.headers
    )
    assert await error_of(own) == (422, "own_post")
    bad = await client.put(vote, json={"value": 2}, headers=f.classmate.headers)
    assert await error_of(bad) == (422, "validation_failed")
    steps = [(f.classmate, 1, (1, 1, 0)), (f.owner, -1, (0, 1, 1)), (f.classmate, -1, (-2, 0, 2)),
             (f.owner, 0, (-1, 0, 1)), (f.classmate, 1, (1, 1, 0))]  # fmt: skip
    for who, value, (score, up, down) in steps:
        resp = await client.put(vote, json={"value": value}, headers=who.headers)
        assert resp.status == 200
        assert await resp.json() == {
            "post_id": thread["id"], "my_vote": value,
            "score": score, "upvotes": up, "downvotes": down,
        }  # fmt: skip
    seen = await read(client, f.classmate, thread["id"])
    assert seen["my_vote"] == 1 and seen["votes"]["score"] == 1
    assert (await read(client, f.owner, thread["id"]))["my_vote"] == 0
    changes = [e for e in await events(db, "forum.vote_changed")]
    assert len(changes) == len(steps)
    for change in changes:  # counts only: never who voted
        assert set(change["data"]) == {
            "course_id", "thread_id", "post_id", "kind", "score", "upvotes", "downvotes"
        }  # fmt: skip


async def test_twenty_concurrent_votes_count_once_per_user(client, users, db):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id)
    reply = await answer(client, f.student, thread["id"])
    url = f"{API}/forum/answers/{reply['id']}/vote"
    same = await asyncio.gather(
        *(client.put(url, json={"value": 1}, headers=f.classmate.headers) for _ in range(20))
    )
    assert [r.status for r in same] == [200] * 20
    assert await db.fetchval("SELECT upvotes FROM forum_posts WHERE id = $1", reply["id"]) == 1
    voters = [await users.create(f"Voter {i}") for i in range(20)]
    for v in voters:
        resp = await client.post(f"{API}/courses/{f.course_id}/enrollments", headers=v.headers)
        assert resp.status == 201
    many = await asyncio.gather(
        *(client.put(url, json={"value": 1 if i % 4 else -1}, headers=v.headers)
          for i, v in enumerate(voters))
    )  # fmt: skip
    assert {r.status for r in many} == {200}
    row = await db.fetchrow("SELECT upvotes, downvotes FROM forum_posts WHERE id = $1", reply["id"])
    assert (row["upvotes"], row["downvotes"]) == (1 + 15, 5)
    assert await db.fetchval("SELECT count(*) FROM forum_votes") == 21
    assert len(await events(db, "forum.vote_changed")) == 21  # the 19 repeats changed nothing


async def test_endorsements_are_staff_only_and_shown_to_everyone(client, users, db):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id)
    reply = await answer(client, f.classmate, thread["id"])
    for path in (f"threads/{thread['id']}", f"answers/{reply['id']}"):
        refused = await client.post(f"{API}/forum/{path}/endorse", headers=f.student.headers)
        assert await error_of(refused) == (403, "forbidden")
        resp = await client.post(f"{API}/forum/{path}/endorse", headers=f.assistant.headers)
        assert resp.status == 204
    seen = await read(client, f.classmate, thread["id"])
    for post in (seen, seen["answers"][0]):
        assert post["endorsement"]["by"] == {"id": str(f.assistant.id), "name": "Andrés Assistant"}
    resp = await client.delete(
        f"{API}/forum/answers/{reply['id']}/endorse", headers=f.owner.headers
    )
    assert resp.status == 204
    assert (await read(client, f.student, thread["id"]))["answers"][0]["endorsement"] is None
    updated = [e["data"]["fields"] for e in await events(db, "forum.answer_updated")]
    assert updated == [["endorsement"], ["endorsement"]]
    actions = [e["data"]["action"] for e in await events(db, "audit.recorded")]
    assert actions.count("forum_answer.endorse") == 1
    assert actions.count("forum_answer.unendorse") == 1


async def test_deleted_posts_leave_tombstones_with_their_reason(client, users, db, clock):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id)
    mine = await answer(client, f.classmate, thread["id"], body="oops")
    clock.advance(timedelta(seconds=1))
    rude = await answer(client, f.student, thread["id"], body="something rude")
    url = f"{API}/forum/answers"
    refused = await client.delete(f"{url}/{rude['id']}", headers=f.classmate.headers)
    assert await error_of(refused) == (403, "forbidden")
    no_reason = await client.delete(f"{url}/{rude['id']}", headers=f.assistant.headers)
    assert await error_of(no_reason) == (422, "reason_required")
    resp = await client.delete(
        f"{url}/{rude['id']}", params={"reason": "Be kind"}, headers=f.assistant.headers
    )
    assert resp.status == 204
    resp = await client.delete(f"{url}/{mine['id']}", headers=f.classmate.headers)  # own
    assert resp.status == 204
    seen = await read(client, f.classmate, thread["id"])
    [own, moderated] = seen["answers"]
    assert own["deleted"]["by"] == "author" and own["deleted"]["reason"] is None
    assert moderated["deleted"]["by"] == "moderator"
    assert moderated["deleted"]["reason"] == "Be kind"
    assert moderated["body"] is None and moderated["body_html"] is None
    staff_view = (await read(client, f.owner, thread["id"]))["answers"][1]
    assert staff_view["body"] == "something rude"  # staff still read what was removed
    history = await client.get(f"{url}/{rude['id']}/history", headers=f.classmate.headers)
    assert await error_of(history) == (404, "post_deleted")
    history = await client.get(f"{url}/{rude['id']}/history", headers=f.owner.headers)
    assert history.status == 200
    for change in (
        client.patch(f"{url}/{rude['id']}", json={"body": "x"}, headers=f.student.headers),
        client.put(f"{url}/{rude['id']}/vote", json={"value": 1}, headers=f.classmate.headers),
        client.delete(f"{url}/{rude['id']}", params={"reason": "x"}, headers=f.owner.headers),
    ):
        assert await error_of(await change) == (409, "post_deleted")
    deletions = [e["data"] for e in await events(db, "forum.post_deleted")]
    assert [(d["post_id"], d["deleted"]["reason"]) for d in deletions] == [
        (rude["id"], "Be kind"),
        (mine["id"], None),
    ]
    audits = [e["data"] for e in await events(db, "audit.recorded")]
    [removal] = [a for a in audits if a["action"] == "forum_answer.delete"
                 and a["target"]["id"] == rude["id"]]  # fmt: skip
    assert removal["changes"]["reason"] == [None, "Be kind"]
    # The question itself: gone from the list, a tombstone when read.
    resp = await client.delete(
        f"{API}/forum/threads/{thread['id']}", params={"reason": "Duplicate"},
        headers=f.owner.headers,
    )  # fmt: skip
    assert resp.status == 204
    listed = await client.get(
        f"{API}/courses/{f.course_id}/forum/threads", headers=f.student.headers
    )
    assert (await listed.json())["items"] == []
    tomb = await read(client, f.student, thread["id"])
    assert tomb["deleted"]["reason"] == "Duplicate"
    assert tomb["title"] is None and tomb["body"] is None
    late = await client.post(
        f"{API}/forum/threads/{thread['id']}/answers", json={"body": "hi"},
        headers=f.classmate.headers,
    )  # fmt: skip
    assert await error_of(late) == (409, "post_deleted")


async def test_answer_edits_keep_their_history(client, users, clock):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id)
    reply = await answer(client, f.classmate, thread["id"], body="first")
    url = f"{API}/forum/answers/{reply['id']}"
    for body in ("second", "third"):
        clock.advance(timedelta(minutes=5))
        resp = await client.patch(url, json={"body": body}, headers=f.classmate.headers)
        assert resp.status == 200
    refused = await client.patch(url, json={"body": "mine now"}, headers=f.student.headers)
    assert await error_of(refused) == (403, "forbidden")
    resp = await client.get(f"{url}/history", headers=f.student.headers)
    history = await resp.json()
    assert history["kind"] == "answer"
    assert [(v["version"], v["body"]) for v in history["versions"]] == [
        (3, "third"),
        (2, "second"),
        (1, "first"),
    ]
    times = [v["written_at"] for v in history["versions"]]
    assert times == sorted(times, reverse=True) and len(set(times)) == 3
    assert history["versions"][2]["body_html"] == "<p>first</p>\n"
