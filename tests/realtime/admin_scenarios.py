"""Scenarios (see event_scenarios.py) for the events an administrator causes: caused through the
admin routes with an admin-realm token, heard on the user's own stream, on `global` (every
user) or, in the `/admin` namespace, on `admins` (every admin).

A blocked user's sockets are cut by the block itself, and a blocked user cannot connect, so
`account.blocked` and `account.unblocked` reach the user the way the stream promises anything
missed: replayed to their next socket, which resumes their stream from before the block."""

from __future__ import annotations

from typing import Any

from tests.admin_helpers import ADMIN_API, AdminFactory, TestAdmin
from tests.realtime.conftest import Recorder
from tests.realtime.event_scenarios import Expect, World, scenario, user

GLOBAL = "global"
ADMINS = "admins"
RULE = {"title": "Conduct", "description": "Be kind.", "effective_from": "2026-03-01T00:00:00Z"}


async def admin(w: World) -> TestAdmin:
    return await AdminFactory(w.app).create()


async def admin_call(w: World, method: str, path: str, actor: TestAdmin, body: Any = None) -> Any:
    resp = await w.client.request(method, ADMIN_API + path, json=body, headers=actor.headers)
    assert resp.status in (200, 201, 204), (path, resp.status, await resp.text())
    return await resp.json() if resp.status != 204 else None


async def listen_as_admin(w: World, *admins: TestAdmin) -> list[Recorder]:
    made = []
    for person in admins:
        rec = await w.sockets("/admin").connect(person.token)
        w.listener[rec] = person  # type: ignore[assignment]
        made.append(rec)
    return made


async def resumed(w: World, person, stream: str) -> Recorder:
    """A new socket of `person` resuming `stream` from its start (what an app that last saw
    the stream before the event sends), signed in again: the block revoked their tokens."""
    version = await w.users.db.fetchval("SELECT token_version FROM users WHERE id = $1", person.id)
    rec = await w.sockets().connect(w.users.token(person.id, version), resume={stream: 0})
    w.listener[rec] = person
    return rec


@scenario("account.permissions_changed")
async def _permissions_changed(w: World) -> Expect:
    a, ana, xavi = await admin(w), await w.users.create("Ana"), await w.users.create("Xavi")
    me, x = await w.listen(ana, xavi)
    body = {"can_post_forum": False}
    await admin_call(w, "PATCH", f"/users/{ana.id}/permissions", a, body)
    return Expect([(me, user(ana))], [x])


@scenario("account.blocked")
async def _account_blocked(w: World) -> Expect:
    a, ana, xavi = await admin(w), await w.users.create("Ana"), await w.users.create("Xavi")
    (x,) = await w.listen(xavi)
    await admin_call(w, "POST", f"/users/{ana.id}/block", a, {"reason": "spam"})
    await admin_call(w, "POST", f"/users/{ana.id}/unblock", a)
    return Expect([(await resumed(w, ana, user(ana)), user(ana))], [x])


@scenario("account.unblocked")
async def _account_unblocked(w: World) -> Expect:
    a, ana, xavi = await admin(w), await w.users.create("Ana"), await w.users.create("Xavi")
    await admin_call(w, "POST", f"/users/{ana.id}/block", a, {"reason": "spam"})
    (x,) = await w.listen(xavi)
    await admin_call(w, "POST", f"/users/{ana.id}/unblock", a)
    return Expect([(await resumed(w, ana, user(ana)), user(ana))], [x])


@scenario("rule.published")
async def _rule_published(w: World) -> Expect:
    a, ana, bob = await admin(w), await w.users.create("Ana"), await w.users.create("Bob")
    me, b = await w.listen(ana, bob)
    await admin_call(w, "POST", "/rules", a, RULE)
    return Expect([(me, GLOBAL), (b, GLOBAL)])  # every user's sockets


@scenario("rule.deleted")
async def _rule_deleted(w: World) -> Expect:
    a, ana = await admin(w), await w.users.create("Ana")
    rule = await admin_call(w, "POST", "/rules", a, RULE)
    (me,) = await w.listen(ana)
    await admin_call(w, "DELETE", f"/rules/{rule['id']}", a)
    return Expect([(me, GLOBAL)])


@scenario("rule.accepted")
async def _rule_accepted(w: World) -> Expect:
    a, ana, bob = await admin(w), await w.users.create("Ana"), await w.users.create("Bob")
    rule = await admin_call(w, "POST", "/rules", a, RULE)
    phone, laptop, b = await w.listen(ana, ana, bob)  # her other devices learn it too
    await w.call("POST", f"/rules/{rule['id']}/accept", ana, {"version": 1})
    return Expect([(phone, user(ana)), (laptop, user(ana))], [b])


@scenario("admin.created")
async def _admin_created(w: World) -> Expect:
    a, ana = await admin(w), await w.users.create("Ana")
    (watching,) = await listen_as_admin(w, a)
    (u,) = await w.listen(ana)
    body = {"email": "new.admin@example.com", "name": "New", "password": "correct horse battery"}
    await admin_call(w, "POST", "/admins", a, body)
    return Expect([(watching, ADMINS)], [u])


@scenario("admin.removed")
async def _admin_removed(w: World) -> Expect:
    a, b, ana = await admin(w), await admin(w), await w.users.create("Ana")
    watching, removed = await listen_as_admin(w, a, b)
    (u,) = await w.listen(ana)
    await admin_call(w, "DELETE", f"/admins/{b.id}", a)
    await removed.wait_for("session.ended")  # told, after the event, then cut
    return Expect([(watching, ADMINS), (removed, ADMINS)], [u])
