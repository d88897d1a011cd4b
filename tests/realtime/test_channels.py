"""Authorization of the Socket.IO channels: who may connect, which rooms each socket is in,
watch/unwatch, live room updates, and disconnects when a token stops counting."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
import socketio

from server.domain.events import course_staff_stream, course_stream, submissions_stream, user_stream
from server.domain.tokens import issue_access_token
from server.keys import JWT_SECRET, SETTINGS
from tests.realtime.conftest import add_member, make_course, record


async def refused(sockets, token, namespace="/") -> dict:
    rec = sockets(namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await rec.connect(token)
    return rec.refusal["data"]


async def test_bad_tokens_are_refused_with_a_code(client, sockets, users, db, app, clock):
    alice = await users.create("Alice")
    assert (await refused(sockets, None))["code"] == "token_missing"
    assert (await refused(sockets, alice.token[:-3] + "abc"))["code"] == "token_invalid"
    stale = issue_access_token(
        secret=app[JWT_SECRET], user_id=alice.id, token_version=0,
        now=clock.now() - timedelta(hours=1), ttl=timedelta(minutes=15),
    )  # fmt: skip
    assert (await refused(sockets, stale))["code"] == "token_expired"
    await db.execute("UPDATE users SET token_version = 1 WHERE id = $1", alice.id)
    assert (await refused(sockets, alice.token))["code"] == "token_revoked"
    bob = await users.create("Bob", status="blocked")
    assert (await refused(sockets, bob.token))["code"] == "account_blocked"
    # A user token is not an admin token.
    carol = await users.create("Carol")
    assert (await refused(sockets, carol.token, "/admin"))["code"] == "admin_required"


async def test_each_socket_hears_only_its_rooms(client, sockets, users, db, clock):
    owner, assistant, student, other = [await users.create(n) for n in "OASX"]
    course = await make_course(db, owner.id, clock.now())
    await add_member(db, course, assistant.id, "assistant", clock.now())
    await add_member(db, course, student.id, "student", clock.now())
    recs = {u.name: await sockets().connect(u.token) for u in (owner, assistant, student, other)}
    assert set(recs["A"].of("session.ready")[0]["streams"]) == {
        user_stream(assistant.id), "global", course_stream(course), course_staff_stream(course),
    }  # fmt: skip
    now = clock.now()
    await record(db, "course.updated", course_stream(course), at=now, course_id=str(course))
    await record(db, "submission.updated", course_staff_stream(course), at=now, count=1)
    await record(db, "grade.published", user_stream(student.id), at=now, score=9)
    everyone = [user_stream(u.id) for u in (owner, assistant, student, other)]
    await record(db, "probe.last", *everyone, at=now)
    for rec in recs.values():
        await rec.wait_for("probe.last")
    heard = {name: [e["type"] for e in rec.envelopes()] for name, rec in recs.items()}
    assert heard["O"] == ["course.updated", "submission.updated", "probe.last"]
    assert heard["A"] == ["course.updated", "submission.updated", "probe.last"]
    assert heard["S"] == ["course.updated", "grade.published", "probe.last"]
    assert heard["X"] == ["probe.last"]  # no other student's grade, no course it is not in


@pytest.fixture
async def assignment(db, users, clock):
    owner, student = await users.create("Owner"), await users.create("Student")
    course = await make_course(db, owner.id, clock.now())
    await add_member(db, course, student.id, "student", clock.now())
    assignment_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO assignments (id, course_id, kind, title, due_at, grace_minutes, accept_late,"
        " penalty_percent_per_day, max_attempts, questions, max_score, created_by, created_at,"
        " updated_at) VALUES ($1, $2, 'task', 'T', $3, 0, false, 0, 1, '[]', 10, $4, $3, $3)",
        assignment_id, course, clock.now(), owner.id,
    )  # fmt: skip
    return owner, student, course, assignment_id


async def test_watch_is_for_staff_only(client, sockets, db, clock, assignment):
    owner, student, _course, assignment_id = assignment
    teacher, pupil = await sockets().connect(owner.token), await sockets().connect(student.token)
    ack = await pupil.call("watch", {"assignment_id": str(assignment_id)})
    assert ack["ok"] is False and ack["error"]["code"] == "not_staff"
    ack = await teacher.call("watch", {"assignment_id": str(uuid.uuid4())})
    assert ack["error"]["code"] == "assignment_not_found"
    ack = await teacher.call("watch", {"assignment_id": str(assignment_id)})
    assert ack == {"ok": True, "stream": submissions_stream(assignment_id)}
    stream = submissions_stream(assignment_id)
    await record(db, "submission.created", stream, at=clock.now(), n=1)
    assert (await teacher.wait_for("submission.created"))[0]["seq"] == 1
    assert (await teacher.call("unwatch", {"assignment_id": str(assignment_id)}))["ok"] is True
    await record(db, "submission.created", stream, at=clock.now(), n=2)
    await record(db, "probe.last", user_stream(owner.id), user_stream(student.id), at=clock.now())
    await teacher.wait_for("probe.last")
    await pupil.wait_for("probe.last")
    assert len(teacher.of("submission.created")) == 1
    assert pupil.of("submission.created") == []


async def test_bad_client_events_get_an_error_ack(client, sockets, users, settings):
    rec = await sockets().connect((await users.create()).token)
    assert (await rec.call("watch", {"assignment_id": "nope"}))["error"][
        "code"
    ] == "invalid_payload"
    assert (await rec.call("watch"))["error"]["code"] == "invalid_payload"
    assert (await rec.call("resume", {"streams": {"x": -1}}))["error"]["code"] == "invalid_payload"
    assert (await rec.call("join", {"room": "course:x"}))["error"]["code"] == "unknown_event"
    ack = await rec.call("resume", {"streams": {"course:someone-elses": 0}})
    assert ack == {"ok": True, "streams": [], "ignored": ["course:someone-elses"]}
    pong = await rec.call("ping", {"t": 42})
    assert pong["ok"] is True and pong["t"] == 42
    codes = [(await rec.call("ping"))["ok"] for _ in range(settings.realtime_client_burst + 5)]
    assert codes.count(False) >= 5  # the burst was spent above; the rest are rate limited
    limited = await rec.call("ping")
    assert limited == {
        "ok": False,
        "error": {"code": "rate_limited", "message": limited["error"]["message"], "details": []},
    }
    assert rec.sio.connected


async def test_rooms_follow_enrollment_live(client, sockets, users, db, clock):
    owner, student = await users.create("Owner"), await users.create("Student")
    course = await make_course(db, owner.id, clock.now())
    rec = await sockets().connect(student.token)
    resp = await client.post(f"/api/v1/courses/{course}/enrollments", headers=student.headers)
    assert resp.status in (200, 201), await resp.text()
    rooms = await rec.wait_for("session.rooms")
    assert rooms[0]["joined"] == [course_stream(course)]
    await record(db, "course.updated", course_stream(course), at=clock.now(), v=1)
    assert (await rec.wait_for("course.updated"))[0]["data"] == {"v": 1}
    resp = await client.delete(f"/api/v1/courses/{course}/enrollments/me", headers=student.headers)
    assert resp.status == 204, await resp.text()
    rooms = await rec.wait_for("session.rooms", 2)
    assert rooms[1]["left"] == [course_stream(course)]
    await record(db, "course.updated", course_stream(course), at=clock.now(), v=2)
    await record(db, "probe.last", user_stream(student.id), at=clock.now())
    await rec.wait_for("probe.last")
    assert [e["data"] for e in rec.of("course.updated")] == [{"v": 1}]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("expire", "token_expired"),
        ("UPDATE users SET token_version = token_version + 1 WHERE id = $1", "token_revoked"),
        ("UPDATE users SET status = 'blocked' WHERE id = $1", "account_blocked"),
    ],
)
async def test_sockets_are_dropped_when_the_token_stops_counting(
    client, sockets, users, db, clock, change, code
):
    alice, bob = await users.create("Alice"), await users.create("Bob")
    rec, other = await sockets().connect(alice.token), await sockets().connect(bob.token)
    if change == "expire":
        clock.advance(timedelta(minutes=16))
        bob_token = issue_access_token(
            secret=client.app[JWT_SECRET], user_id=bob.id, token_version=0,
            now=clock.now(), ttl=timedelta(minutes=15),
        )  # fmt: skip
        await other.close()
        other = await sockets().connect(bob_token)
    else:
        await db.execute(change, alice.id)
    ended = await rec.wait_for("session.ended")
    assert ended[0]["code"] == code
    await rec.wait_until(lambda: not rec.sio.connected)
    await asyncio.sleep(0.3)  # a few more sweeps
    assert other.sio.connected and other.of("session.ended") == []


async def test_admin_namespace_takes_admin_tokens(client, sockets, db, admins, clock):
    admin = await admins.create()
    rec = await sockets("/admin").connect(admin.token)
    assert set(rec.of("session.ready")[0]["streams"]) == {"admin:audit", "admins"}
    await record(db, "audit.entry", "admin:audit", at=clock.now(), action="user.blocked")
    got = await rec.wait_until(
        lambda: [e for e in rec.of("audit.entry") if e["data"] == {"action": "user.blocked"}]
    )
    assert got
    assert (await refused(sockets, admin.token, "/"))["code"] == "token_invalid"


async def test_revocation_drops_sockets_without_waiting_for_the_sweep(client, sockets, users, db):
    client.app[SETTINGS].realtime_auth_sweep_seconds = 600  # only the NOTIFY can be in time
    alice, bob = await users.create("Alice"), await users.create("Bob")
    rec, other = await sockets().connect(alice.token), await sockets().connect(bob.token)
    await asyncio.sleep(0.3)  # the sweep loop is now in its long wait
    await db.execute("UPDATE users SET token_version = token_version + 1 WHERE id = $1", alice.id)
    ended = await rec.wait_for("session.ended")
    assert ended[0]["code"] == "token_revoked"
    assert other.sio.connected and other.of("session.ended") == []
