"""The notifications consumers driven by hand: events other issues will record (administration,
analytics) built here, a crash between their Mongo writes and their commit, one event to many,
the inbox and the deliveries each on its own offset."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from server.domain.events import ADMIN_AUDIT_STREAM, GLOBAL_STREAM, user_stream
from server.domain.notification_rules import Audience
from server.keys import CLOCK, MONGO_DB, PG_POOL
from server.services.consumers import Consumer, consume_batch, ensure_offset
from server.services.notification_consumer import deliveries_consumer, notifications_consumer
from server.settings import Settings
from tests.consumer_helpers import Crash, relay_all
from tests.realtime.conftest import add_member, make_course, record


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_relay_enabled = False
    settings.consumers_enabled = False
    return settings


async def consume(app, *consumers: Consumer) -> None:
    """Each consumer in turn to the head; by default the inbox's and the deliveries'."""
    consumers = consumers or (
        notifications_consumer(app[MONGO_DB]),
        deliveries_consumer(app[MONGO_DB]),
    )
    await relay_all(app)
    for consumer in consumers:
        while await consume_batch(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer) > 0:
            pass


async def live(db, type: str) -> list[dict]:
    rows = await db.fetch(
        "SELECT streams, data::text AS data FROM outbox WHERE type = $1 ORDER BY position", type
    )
    return [{"stream": r["streams"][0], **json.loads(r["data"])} for r in rows]


@pytest.fixture
async def started(client, app):
    for consumer in (notifications_consumer(app[MONGO_DB]), deliveries_consumer(app[MONGO_DB])):
        await ensure_offset(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer)


async def test_account_notices_are_critical_emails(started, app, users, db, clock, mongo):
    user = await users.create("Ana")
    await mongo.notification_preferences.insert_one(  # stored by an older version: ignored
        {"_id": str(user.id), "events": {"account.blocked": {"email": "off"}}}
    )
    until = (clock.now() + timedelta(days=3)).isoformat()
    now = clock.now()
    stream = user_stream(user.id)
    await record(db, "account.blocked", stream, at=now, user_id=str(user.id), reason="spam",
                 until=until)  # fmt: skip
    await record(db, "account.password_changed", stream, at=now, user_id=str(user.id))
    await record(db, "account.locked", stream, at=now, user_id="not-a-uuid")  # skipped
    await consume(app)

    sent = [d async for d in mongo.notification_deliveries.find({"channel": "email"})]
    assert [(d["type"], d["status"], d["critical"]) for d in sent] == [
        ("account.blocked", "queued", True),
        ("account.password_changed", "queued", True),
    ]
    blocked = sent[0]
    assert (blocked["email"], blocked["mode"]) == (user.email, "immediate")
    assert blocked["body"] == "Motivo: spam. Hasta el 08/01/2026 06:00."
    assert await mongo.notifications.count_documents({}) == 0  # email only by default
    assert await live(db, "notification.created") == []


async def test_a_rule_reaches_the_users_it_applies_to(started, app, users, db, clock, mongo):
    teacher, student, idle = [await users.create(n) for n in ("Teacher", "Student", "Idle")]
    course = await make_course(db, teacher.id, clock.now())
    await add_member(db, course, student.id, "student", clock.now())
    for applies_to, rule_id in (("students", "r1"), ("teachers", "r2"), ("all", "r3")):
        await record(db, "rule.published", GLOBAL_STREAM, at=clock.now(), rule_id=rule_id,
                     version=1, title=f"Rule {rule_id}", applies_to=applies_to)  # fmt: skip
    await consume(app)

    got = {}
    async for doc in mongo.notifications.find():
        got.setdefault(doc["data"]["rule_id"], set()).add(uuid.UUID(doc["user_id"]))
    assert got == {
        "r1": {student.id},
        "r2": {teacher.id},
        "r3": {teacher.id, student.id, idle.id},
    }
    item = await mongo.notifications.find_one({"user_id": str(idle.id)})
    assert item["title"] == "Nueva norma: Rule r3"
    emails = await mongo.notification_deliveries.count_documents(
        {"type": "rule.published", "channel": "email", "status": "queued"}
    )
    assert emails == 5


async def test_an_at_risk_digest_reaches_the_courses_staff(started, app, users, db, clock, mongo):
    owner, helper, student = [await users.create(n) for n in ("Owner", "Helper", "Student")]
    course = await make_course(db, owner.id, clock.now())
    await add_member(db, course, helper.id, "assistant", clock.now())
    await add_member(db, course, student.id, "student", clock.now())
    at_risk = [{"id": str(student.id)}]
    await record(db, "course.at_risk_digest", f"course:{course}:staff", at=clock.now(),
                 course_id=str(course), title="Course", students=at_risk)  # fmt: skip
    await consume(app)
    owners = {doc["user_id"]: doc async for doc in mongo.notifications.find()}
    assert set(owners) == {str(owner.id), str(helper.id)}
    assert owners[str(owner.id)]["body"] == "1 estudiante(s) necesitan atención."


def dying(real: Consumer) -> Consumer:
    """`real`, whose process dies after the first event's writes and before its commit."""
    crashed = []

    async def crash_once(batch, event):
        await real.handlers[event.type](batch, event)
        if not crashed:
            crashed.append(event.id)
            raise Crash("the process dies before committing")

    return Consumer(name=real.name, handlers={t: crash_once for t in real.handlers})


async def publish_to_three(users, db, clock) -> list:
    owner = await users.create("Owner")
    students = [await users.create(f"S{i}") for i in range(3)]
    course = await make_course(db, owner.id, clock.now())
    for s in students:
        await add_member(db, course, s.id, "student", clock.now())
    await record(db, "assignment.published", f"course:{course}", at=clock.now(),
                 course_id=str(course), assignment_id=str(uuid.uuid4()), title="T",
                 due_at=clock.now().isoformat(), state="published")  # fmt: skip
    return students


async def test_a_crash_before_the_inbox_commit_leaves_no_duplicates(
    started, app, users, db, clock, mongo
):
    students = await publish_to_three(users, db, clock)
    with pytest.raises(Crash):
        await consume(app, dying(notifications_consumer(app[MONGO_DB])))
    assert await mongo.notifications.count_documents({}) == 3  # the effects happened
    assert await live(db, "notification.created") == []  # the commit did not

    await consume(app)
    assert await mongo.notifications.count_documents({}) == 3
    assert await mongo.notification_deliveries.count_documents({}) == 3  # push; email is off
    counts = await live(db, "notification.unread_count")
    assert sorted(c["stream"] for c in counts) == sorted(user_stream(s.id) for s in students)
    assert {c["unread"] for c in counts} == {1}  # recounted from the inbox, not 2
    assert len(await live(db, "notification.created")) == 3
    assert await db.fetchval("SELECT sum(unread) FROM notification_unread") == 3


async def test_a_crash_before_the_deliveries_commit_leaves_no_duplicates(
    started, app, users, db, clock, mongo
):
    await publish_to_three(users, db, clock)
    with pytest.raises(Crash):
        await consume(app, dying(deliveries_consumer(app[MONGO_DB])))
    assert await mongo.notification_deliveries.count_documents({}) == 3
    assert await mongo.notifications.count_documents({}) == 0  # the inbox has its own offset

    await consume(app)
    assert await mongo.notification_deliveries.count_documents({}) == 3
    assert await mongo.notifications.count_documents({}) == 3
    offsets = dict(await db.fetch("SELECT name, relay_seq FROM consumer_offsets"))
    assert offsets["notifications"] == offsets["notification_deliveries"] > 0


async def test_an_inbox_turned_off_counts_nothing(started, app, users, db, clock, mongo):
    quiet, *others = await publish_to_three(users, db, clock)
    await mongo.notification_preferences.insert_one(
        {"_id": str(quiet.id), "events": {"assignment.published": {"in_app": "off"}}}
    )
    await db.execute(  # an unread item from before
        "INSERT INTO notification_unread (user_id, unread) VALUES ($1, 1)", quiet.id
    )
    await consume(app)
    counts = {c["stream"]: c["unread"] for c in await live(db, "notification.unread_count")}
    assert counts == {user_stream(s.id): 1 for s in others}
    unread = dict(await db.fetch("SELECT user_id, unread FROM notification_unread"))
    assert unread == {quiet.id: 1, **{s.id: 1 for s in others}}
    assert await mongo.notifications.count_documents({"user_id": str(quiet.id)}) == 0
    pushes = await mongo.notification_deliveries.count_documents({"user_id": str(quiet.id)})
    assert pushes == 1  # the inbox is off, not the push


async def test_the_inbox_does_not_wait_for_the_deliveries(started, app, users, db, clock, mongo):
    students = await publish_to_three(users, db, clock)
    stuck = deliveries_consumer(app[MONGO_DB])

    async def outage(batch, event):
        raise ConnectionError("the deliveries' store is down")

    down = Consumer(name=stuck.name, handlers=dict.fromkeys(stuck.handlers, outage))
    with pytest.raises(ConnectionError):
        await consume(app, down)
    await consume(app, notifications_consumer(app[MONGO_DB]))
    created = await live(db, "notification.created")
    assert sorted(c["stream"] for c in created) == sorted(user_stream(s.id) for s in students)
    assert await mongo.notification_deliveries.count_documents({}) == 0

    await consume(app, stuck)  # back: it resumes from its own offset
    assert await mongo.notification_deliveries.count_documents({"channel": "push"}) == 3


async def test_one_event_to_many_users_is_written_in_bulk(started, app, db, clock, mongo):
    now = clock.now()
    ids = [uuid.uuid4() for _ in range(1500)]
    await db.executemany(
        "INSERT INTO users (id, email, name, email_verified, status, created_at, updated_at) "
        "VALUES ($1, $2, 'U', true, 'active', $3, $3)",
        [(u, f"{u}@example.test", now) for u in ids],
    )
    await record(db, "rule.published", GLOBAL_STREAM, ADMIN_AUDIT_STREAM, at=now, rule_id="big",
                 version=2, title="Terms", applies_to="all")  # fmt: skip
    await consume(app)
    assert await mongo.notifications.count_documents({"type": "rule.published"}) == 1500
    assert await mongo.notification_deliveries.count_documents({}) == 1500  # email
    assert len(await live(db, "notification.created")) == 1500
    assert len(await live(db, "notification.unread_count")) == 1500


async def test_the_forum_plugs_in_its_followers(started, app, users, db, clock, mongo):
    owner, follower = await users.create("Owner"), await users.create("Follower")
    course = await make_course(db, owner.id, clock.now())
    thread = uuid.uuid4()

    async def followers(conn, event):  # the forum's query on its followers table
        assert event.data["thread_id"] == str(thread)
        return [follower.id]

    plain = notifications_consumer(app[MONGO_DB])
    assert "forum.answer_created" not in plain.handlers  # no followers query, no handler
    await record(db, "forum.answer_created", f"course:{course}", at=clock.now(),
                 course_id=str(course), thread_id=str(thread), answer_id=str(uuid.uuid4()),
                 title="How do I start?")  # fmt: skip
    await consume(app, notifications_consumer(
        app[MONGO_DB], audiences={Audience.THREAD_FOLLOWERS: followers}))  # fmt: skip
    [item] = [d async for d in mongo.notifications.find()]
    assert item["user_id"] == str(follower.id)
    assert item["body"] == "Respondieron «How do I start?» en Course."
    assert item["data"]["thread_id"] == str(thread)
