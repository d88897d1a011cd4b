"""The forum live, end to end: posts caused over REST reach real Socket.IO clients in the
`course:{id}` room (private ones only the staff and the author), anonymous authors never reach
classmates through any event, and new answers and mentions notify through the pipeline."""

from __future__ import annotations

import json

from server.domain.events import course_staff_stream, course_stream, user_stream
from tests.consumer_helpers import settled
from tests.course_helpers import API
from tests.forum_helpers import answer, ask, error_of, forum, listing, read
from tests.notifications.helpers import inbox

FORUM_EVENTS = (
    "forum.thread_created", "forum.thread_updated", "forum.answer_created",
    "forum.answer_updated", "forum.answer_accepted", "forum.vote_changed", "forum.post_deleted",
)  # fmt: skip


def forum_envelopes(rec) -> list[dict]:
    return [e for e in rec.envelopes() if e["type"] in FORUM_EVENTS]


async def test_a_question_appears_live_and_anonymous_authors_stay_hidden(
    client, users, sockets, db
):
    f = await forum(client, users)
    await settled(db)
    recs = {
        name: await sockets().connect(f.who(name).token)
        for name in ("student", "classmate", "assistant", "owner", "removed", "stranger")
    }
    thread = await ask(client, f.student, f.course_id, anonymous=True, title="Anonymous doubt")
    for name in ("student", "classmate", "assistant", "owner"):
        [created] = await recs[name].wait_for("forum.thread_created")
        assert created["stream"] == course_stream(f.course_id)
        item = created["data"]["thread"]
        assert (item["id"], item["title"], item["anonymous"]) == (
            thread["id"], "Anonymous doubt", True,
        )  # fmt: skip
        assert item["author"] is None and "mine" not in item
    staff_view = await read(client, f.owner, thread["id"])
    assert staff_view["author"] == {"id": str(f.student.id), "name": "Sam Student"}

    reply = await answer(client, f.classmate, thread["id"], anonymous=True, body="Try this")
    vote = await client.put(
        f"{API}/forum/threads/{thread['id']}/vote", json={"value": 1}, headers=f.owner.headers
    )
    assert vote.status == 200
    accept = await client.post(
        f"{API}/forum/answers/{reply['id']}/accept", headers=f.student.headers
    )
    assert accept.status == 200
    edit = await client.patch(
        f"{API}/forum/answers/{reply['id']}", json={"body": "Try that"}, headers=f.classmate.headers
    )
    assert edit.status == 200
    gone = await client.delete(f"{API}/forum/answers/{reply['id']}", headers=f.classmate.headers)
    assert gone.status == 204
    last = await ask(client, f.owner, f.course_id, title="Announcement thread")
    for name in ("student", "classmate", "assistant", "owner"):
        await recs[name].wait_until(
            lambda r=recs[name]: any(
                e["data"]["thread"]["id"] == last["id"] for e in r.of("forum.thread_created")
            )
        )
        heard = forum_envelopes(recs[name])
        assert [e["type"] for e in heard] == [
            "forum.thread_created", "forum.answer_created", "forum.vote_changed",
            "forum.answer_accepted", "forum.answer_updated", "forum.post_deleted",
            "forum.thread_created",
        ], name  # fmt: skip
        for envelope in heard[:-1]:  # neither anonymous author, anywhere in what was sent
            text = json.dumps(envelope)
            assert str(f.student.id) not in text and str(f.classmate.id) not in text, envelope
            assert str(f.owner.id) not in text  # who voted is never said
        answered = heard[1]["data"]
        assert answered["answer"]["author"] is None and answered["title"] == "Anonymous doubt"
        assert heard[2]["data"]["score"] == 1
    for name in ("removed", "stranger"):
        assert forum_envelopes(recs[name]) == []


async def test_a_private_question_reaches_only_the_staff_and_its_author(client, users, sockets, db):
    f = await forum(client, users)
    await settled(db)
    recs = {
        name: await sockets().connect(f.who(name).token)
        for name in ("student", "classmate", "assistant", "owner")
    }
    secret = await ask(
        client, f.student, f.course_id, private=True, title="Private grading question",
        body="My grade in unit three",
    )  # fmt: skip
    reply = await answer(client, f.assistant, secret["id"], body="Let us talk")
    vote = await client.put(
        f"{API}/forum/answers/{reply['id']}/vote", json={"value": 1}, headers=f.student.headers
    )
    assert vote.status == 200
    public = await ask(client, f.student, f.course_id, title="A public question")
    for name, stream in (
        ("owner", course_staff_stream(f.course_id)),
        ("assistant", course_staff_stream(f.course_id)),
        ("student", user_stream(f.student.id)),
    ):
        rec = recs[name]
        await rec.wait_for("forum.thread_created", count=2)
        private_ones = [e for e in forum_envelopes(rec) if e["data"]["thread_id"] == secret["id"]]
        assert [(e["type"], e["stream"]) for e in private_ones] == [
            ("forum.thread_created", stream),
            ("forum.answer_created", stream),
            ("forum.vote_changed", stream),
        ], name
        assert private_ones[0]["data"]["thread"]["private"] is True
    classmate = recs["classmate"]
    [only] = await classmate.wait_for("forum.thread_created")
    assert only["data"]["thread"]["id"] == public["id"]
    assert [e["data"]["thread_id"] for e in forum_envelopes(classmate)] == [public["id"]]
    # Over REST it does not exist for the classmate: not listed, not found, not searchable.
    listed = await listing(client, f.classmate, f.course_id)
    assert [t["id"] for t in listed["items"]] == [public["id"]]
    assert (await listing(client, f.classmate, f.course_id, q="grading"))["items"] == []
    assert [
        t["id"] for t in (await listing(client, f.owner, f.course_id, q="grading"))["items"]
    ] == [secret["id"]]
    hidden = f.classmate.headers
    for resp in (
        await client.get(f"{API}/forum/threads/{secret['id']}", headers=hidden),
        await client.post(
            f"{API}/forum/threads/{secret['id']}/answers", json={"body": "me too"}, headers=hidden
        ),
        await client.get(f"{API}/forum/answers/{reply['id']}/history", headers=hidden),
    ):
        assert (await error_of(resp))[0] == 404


async def test_an_answer_notifies_the_followers_and_a_mention_its_member(
    client, users, sockets, db, mongo
):
    f = await forum(client, users)
    thread = await ask(client, f.student, f.course_id, anonymous=True, title="Where is lab 2?")
    follow = await client.put(f"{API}/forum/threads/{thread['id']}/follow", headers=f.owner.headers)
    assert follow.status == 204
    await settled(db)
    recs = {
        name: await sockets().connect(f.who(name).token)
        for name in ("student", "classmate", "assistant", "owner")
    }
    reply = await answer(
        client, f.classmate, thread["id"], anonymous=True,
        body="In room 4, ask @andres assistant for the key",
    )  # fmt: skip
    for name in ("student", "owner", "assistant"):
        await recs[name].wait_for("notification.created")
    await settled(db)
    for user in (f.student, f.owner):  # the followers
        [live] = recs[_key(f, user)].of("notification.created")
        item = live["data"]
        assert item["type"] == "forum.answer_created"
        assert item["data"] == {
            "course_id": f.course_id, "thread_id": thread["id"], "answer_id": reply["id"],
        }  # fmt: skip
        assert item["body"] == "Respondieron «Where is lab 2?» en Intro to Astronomy."
        assert str(f.classmate.id) not in json.dumps(live)  # the anonymous answerer
        assert (await inbox(client, user))["items"][0]["id"] == item["id"]
    [mention] = recs["assistant"].of("notification.created")
    assert mention["data"]["type"] == "forum.mentioned"
    assert mention["data"]["data"]["post_id"] == reply["id"]
    assert str(f.classmate.id) not in json.dumps(mention)
    assert recs["classmate"].of("notification.created") == []  # not told of their own answer
    # Unfollowing stops them; the answerer now follows (and hears of the next answer).
    resp = await client.delete(
        f"{API}/forum/threads/{thread['id']}/follow", headers=f.owner.headers
    )
    assert resp.status == 204
    await answer(client, f.assistant, thread["id"], body="It moved to room 5")
    await recs["classmate"].wait_for("notification.created")
    await recs["student"].wait_for("notification.created", count=2)
    await settled(db)
    assert len(recs["owner"].of("notification.created")) == 1
    sent = await mongo.notifications.count_documents({"type": "forum.answer_created"})
    assert sent == 4  # student and owner, then student and classmate


def _key(f, user) -> str:
    return next(n for n in ("student", "classmate", "assistant", "owner") if f.who(n) == user)


async def test_a_mention_in_a_private_thread_reaches_only_those_who_may_read_it(
    client, users, db, mongo
):
    f = await forum(client, users)
    await ask(
        client, f.student, f.course_id, private=True, title="Private one",
        body="@Carla Classmate and @Olga Owner, please look",
    )  # fmt: skip
    await settled(db)
    told = [d["user_id"] async for d in mongo.notifications.find({"type": "forum.mentioned"})]
    assert told == [str(f.owner.id)]  # the classmate may not read it
