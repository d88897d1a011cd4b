"""The audit log end to end: REST changes -> audit records in the outbox -> the audit consumer ->
chained entries in Mongo. An entry per kind of action (actor, target, changes), searching and
paging, exports, secrets never stored, and tampering found by verify."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from server.domain.context import user_context
from server.keys import CLOCK, MONGO_DB, PG_POOL, SETTINGS
from server.services.admin_audit import AuditLogWriter
from server.services.consumers import Consumer, consume_batch, ensure_offset
from server.services.unit_of_work import unit_of_work
from server.settings import Settings
from server.stores import outbox
from tests.accounts_flow import PASSWORD, bearer, last_email, pin_for, register
from tests.admin_helpers import ADMIN_API, ADMIN_PASSWORD, TestAdmin
from tests.consumer_helpers import relay_all, settled
from tests.course_helpers import API, create_course

RULE = {"title": "Be kind", "description": "No insults.", "effective_from": "2026-03-01T00:00:00Z"}


@pytest.fixture
def audit_consumer() -> bool:
    return True


@pytest.fixture
def settings(settings: Settings, audit_consumer: bool) -> Settings:
    settings.realtime_relay_poll_seconds = 0.2
    settings.consumer_poll_seconds = 0.1
    settings.audit_consumer_enabled = audit_consumer
    settings.consumers_enabled = audit_consumer  # (off in tests unless turned on)
    return settings


async def entries(client, admin: TestAdmin, db, **query: Any) -> list[dict[str, Any]]:
    await settled(db)
    resp = await client.get(f"{ADMIN_API}/audit", params=query, headers=admin.headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["items"]


@dataclass
class World:
    client: Any
    admin: TestAdmin
    user: Any  # tests.factories.TestUser
    other: Any


async def _ok(resp, status: int = 200) -> dict:
    assert resp.status == status, await resp.text()
    return await resp.json() if resp.status != 204 else {}


async def _block(w: World) -> str:
    await _ok(
        await w.client.post(
            f"{ADMIN_API}/users/{w.user.id}/block", json={"reason": "spam"}, headers=w.admin.headers
        )
    )
    return str(w.user.id)


async def _unblock(w: World) -> str:
    await _block(w)
    await _ok(
        await w.client.post(f"{ADMIN_API}/users/{w.user.id}/unblock", headers=w.admin.headers), 204
    )
    return str(w.user.id)


async def _permissions(w: World) -> str:
    await _ok(
        await w.client.patch(
            f"{ADMIN_API}/users/{w.user.id}/permissions",
            json={"can_enroll": False},
            headers=w.admin.headers,
        )
    )
    return str(w.user.id)


async def _view(w: World) -> str:
    await _ok(await w.client.get(f"{ADMIN_API}/users/{w.user.id}", headers=w.admin.headers))
    return str(w.user.id)


async def _rule_create(w: World) -> str:
    rule = await _ok(
        await w.client.post(f"{ADMIN_API}/rules", json=RULE, headers=w.admin.headers), 201
    )
    return rule["id"]


async def _rule_update(w: World) -> str:
    rule_id = await _rule_create(w)
    await _ok(
        await w.client.patch(
            f"{ADMIN_API}/rules/{rule_id}", json={"title": "Kinder"}, headers=w.admin.headers
        )
    )
    return rule_id


async def _rule_delete(w: World) -> str:
    rule_id = await _rule_create(w)
    await _ok(await w.client.delete(f"{ADMIN_API}/rules/{rule_id}", headers=w.admin.headers), 204)
    return rule_id


async def _rule_accept(w: World) -> str:
    rule_id = await _rule_create(w)
    await _ok(
        await w.client.post(
            f"{API}/rules/{rule_id}/accept", json={"version": 1}, headers=w.user.headers
        )
    )
    return rule_id


async def _admin_create(w: World) -> str:
    body = {"email": "new-admin@example.com", "name": "New", "password": "another passphrase"}
    created = await _ok(
        await w.client.post(f"{ADMIN_API}/admins", json=body, headers=w.admin.headers), 201
    )
    return created["id"]


async def _admin_delete(w: World) -> str:
    admin_id = await _admin_create(w)
    await _ok(await w.client.delete(f"{ADMIN_API}/admins/{admin_id}", headers=w.admin.headers), 204)
    return admin_id


async def _admin_login(w: World) -> str:
    await _ok(
        await w.client.post(
            f"{ADMIN_API}/auth/login", json={"email": w.admin.email, "password": ADMIN_PASSWORD}
        )
    )
    return str(w.admin.id)


async def _enroll(w: World) -> str:
    course = await create_course(w.client, w.other)
    await _ok(
        await w.client.post(f"{API}/courses/{course['id']}/enrollments", headers=w.user.headers),
        201,
    )
    return f"{course['id']}:{w.user.id}"


ADMIN, USER = "admin", "user"
Case = tuple[Callable[[World], Awaitable[str]], str, str, str, dict]
CASES: dict[str, Case] = {
    # action: (cause, who acts, target kind, expected changes (a subset))
    "user.block": (_block, ADMIN, "user",
                   {"status": ["active", "blocked"], "reason": [None, "spam"]}),
    "user.unblock": (_unblock, ADMIN, "user", {"status": ["blocked", "active"]}),
    "user.permissions_change": (_permissions, ADMIN, "user", {"can_enroll": [True, False]}),
    "user.view": (_view, ADMIN, "user", {}),
    "rule.create": (_rule_create, ADMIN, "rule", {"title": [None, "Be kind"]}),
    "rule.update": (_rule_update, ADMIN, "rule", {"title": ["Be kind", "Kinder"],
                                                  "version": [1, 2]}),
    "rule.delete": (_rule_delete, ADMIN, "rule", {"deleted": [False, True]}),
    "rule.accept": (_rule_accept, USER, "rule", {"version": [None, 1]}),
    "admin.create": (_admin_create, ADMIN, "admin",
                     {"email": [None, "new-admin@example.com"], "name": [None, "New"]}),
    "admin.delete": (_admin_delete, ADMIN, "admin", {"status": ["active", "removed"]}),
    "admin.login": (_admin_login, ADMIN, "admin", {}),
    "enrollment.create": (_enroll, USER, "enrollment", {}),
}  # fmt: skip


@pytest.mark.parametrize("action", sorted(CASES))
async def test_each_kind_of_action_is_one_entry_with_actor_target_and_changes(
    client, admins, users, db, action
):
    cause, actor, kind, changes = CASES[action]
    world = World(client, await admins.create(), await users.create(), await users.create())
    target_id = await cause(world)
    who = world.admin.id if actor == ADMIN else world.user.id
    found = await entries(client, world.admin, db, action=action, actor_id=str(who))
    assert len(found) == 1, found  # (the fixture's own admin.create has the system as actor)
    entry = found[0]
    assert entry["actor"] == {"kind": actor, "id": str(who)}
    assert entry["target"] == {"kind": kind, "id": target_id}
    assert changes.items() <= entry["changes"].items()
    assert entry["ip"] == "127.0.0.1" and entry["request_id"]
    assert len(entry["hash"]) == 64 and entry["seq"] >= 1


async def test_search_filters_and_pages_newest_first(client, admins, users, db):
    admin, user = await admins.create(), await users.create()
    for reason in ("a", "b"):
        await client.post(
            f"{ADMIN_API}/users/{user.id}/block", json={"reason": reason}, headers=admin.headers
        )
        await client.post(f"{ADMIN_API}/users/{user.id}/unblock", headers=admin.headers)
    everything = await entries(client, admin, db)
    seqs = [e["seq"] for e in everything]
    assert seqs == sorted(seqs, reverse=True) and seqs == list(range(len(seqs), 0, -1))
    blocks = await entries(client, admin, db, action="user.block")
    assert [e["changes"]["reason"][1] for e in blocks] == ["b", "a"]
    mine = await entries(
        client, admin, db, actor_id=str(admin.id), target_kind="user", target_id=str(user.id)
    )
    assert {e["action"] for e in mine} == {"user.block", "user.unblock"} and len(mine) == 4
    first = await client.get(f"{ADMIN_API}/audit", params={"limit": 3}, headers=admin.headers)
    page = await first.json()
    rest = await client.get(
        f"{ADMIN_API}/audit",
        params={"limit": 50, "cursor": page["next_cursor"]},
        headers=admin.headers,
    )
    assert [e["seq"] for e in page["items"] + (await rest.json())["items"]] == seqs
    window = await entries(
        client, admin, db, **{"from": "2026-01-05T09:00:00Z", "to": "2026-01-05T09:00:01Z"}
    )
    assert len(window) == len(everything)  # the ManualClock never moved
    assert await entries(client, admin, db, **{"from": "2026-01-05T09:00:01Z"}) == []
    for bad in ({"action": "Block"}, {"actor_id": "me"}, {"from": "yesterday"}, {"x": "1"}):
        resp = await client.get(f"{ADMIN_API}/audit", params=bad, headers=admin.headers)
        assert resp.status == 422


async def test_exports_stream_every_matching_entry(client, admins, users, db):
    admin, user = await admins.create(), await users.create()
    await client.post(
        f"{ADMIN_API}/users/{user.id}/block", json={"reason": 'x, "quoted"'}, headers=admin.headers
    )
    everything = await entries(client, admin, db, limit=200)
    resp = await client.get(
        f"{ADMIN_API}/audit/export", params={"format": "jsonl"}, headers=admin.headers
    )
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in (await resp.text()).splitlines()]
    assert lines == sorted(everything, key=lambda e: e["seq"])
    resp = await client.get(
        f"{ADMIN_API}/audit/export",
        params={"format": "csv", "action": "user.block"},
        headers=admin.headers,
    )
    rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert len(rows) == 1 and rows[0]["action"] == "user.block"
    assert json.loads(rows[0]["changes"])["reason"] == [None, 'x, "quoted"']
    bad = await client.get(
        f"{ADMIN_API}/audit/export", params={"format": "xml"}, headers=admin.headers
    )
    assert bad.status == 422


async def test_verify_names_the_first_altered_or_missing_entry(client, admins, users, db, mongo):
    admin, user = await admins.create(), await users.create()
    for reason in ("one", "two", "three"):
        await client.post(
            f"{ADMIN_API}/users/{user.id}/block", json={"reason": reason}, headers=admin.headers
        )
        await client.post(f"{ADMIN_API}/users/{user.id}/unblock", headers=admin.headers)
    last = len(await entries(client, admin, db, limit=200))

    async def verify(**query) -> dict:
        resp = await client.get(f"{ADMIN_API}/audit/verify", params=query, headers=admin.headers)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    clean = await verify()
    assert clean["ok"] and clean["checked"] == last and clean["first_broken_seq"] is None
    target = last - 3
    await mongo.audit_log.update_one({"_id": target}, {"$set": {"changes.reason": [None, "x"]}})
    broken = await verify()
    assert not broken["ok"] and broken["first_broken_seq"] == target
    assert broken["reason"] == "hash_mismatch"
    assert (await verify(from_seq=1, to_seq=target - 1))["ok"]
    assert (await verify(from_seq=target + 1))["ok"]  # anchored on the stored hash before it
    await mongo.audit_log.delete_one({"_id": target + 2})
    gap = await verify(from_seq=target + 1)
    assert gap["first_broken_seq"] == target + 2 and gap["reason"] == "missing_or_reordered"
    assert (await verify(from_seq=target + 1, to_seq=target + 2))["first_broken_seq"] == target + 2
    bad = await client.get(
        f"{ADMIN_API}/audit/verify", params={"from_seq": 5, "to_seq": 2}, headers=admin.headers
    )
    assert bad.status == 422


async def test_no_secret_ever_reaches_the_audit_log(client, admins, users, db, mongo, app):
    """A walk through account and admin actions using passwords, PINs, refresh and access
    tokens; then every stored entry is searched for each of them."""
    data_dir = app[SETTINGS].data_dir
    secrets: list[str] = [PASSWORD, ADMIN_PASSWORD, "another passphrase"]
    await register(client, "walker@example.com", name="Walker")
    pin = await pin_for(data_dir, "walker@example.com")
    secrets.append(pin)
    resp = await client.post(
        f"{API}/auth/verify-email", json={"email": "walker@example.com", "pin": pin}
    )
    assert resp.status == 200
    login = await (
        await client.post(
            f"{API}/auth/login", json={"email": "walker@example.com", "password": PASSWORD}
        )
    ).json()
    secrets += [login["access_token"], login["refresh_token"]]
    refreshed = await (
        await client.post(f"{API}/auth/refresh", json={"refresh_token": login["refresh_token"]})
    ).json()
    secrets += [refreshed["access_token"], refreshed["refresh_token"]]
    await client.post(f"{API}/auth/password/forgot", json={"email": "walker@example.com"})
    reset = (await last_email(data_dir, "walker@example.com", "password_reset"))["params"]["token"]
    secrets.append(reset)
    resp = await client.post(
        f"{API}/auth/password/reset", json={"token": reset, "new_password": "a brand new secret"}
    )
    assert resp.status == 200
    secrets.append("a brand new secret")
    admin = await admins.create()
    session = await (
        await client.post(
            f"{ADMIN_API}/auth/login", json={"email": admin.email, "password": ADMIN_PASSWORD}
        )
    ).json()
    secrets += [admin.token, session["access_token"], session["refresh_token"]]
    body = {"email": "second@example.com", "name": "Second", "password": "another passphrase"}
    await client.post(f"{ADMIN_API}/admins", json=body, headers=bearer(session))
    rotated = await (
        await client.post(
            f"{ADMIN_API}/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
    ).json()
    secrets += [rotated["access_token"], rotated["refresh_token"]]
    await client.post(f"{ADMIN_API}/auth/logout", json={"refresh_token": rotated["refresh_token"]})
    user = await users.create()
    await client.post(
        f"{ADMIN_API}/users/{user.id}/block", json={"reason": "walk"}, headers=bearer(rotated)
    )
    await settled(db)
    stored = [doc async for doc in mongo.audit_log.find({})]
    assert len(stored) >= 6
    text = json.dumps(stored, default=str)
    for secret in secrets:
        assert secret not in text, f"a secret reached the audit log: {secret[:6]}..."


class Crash(RuntimeError):
    """A process dying after the audit entries were written, before the batch committed."""


@pytest.mark.parametrize("audit_consumer", [False])  # this test drives its own
async def test_a_batch_run_again_after_a_crash_appends_nothing_twice(
    client, app, db, mongo, admins, audit_consumer
):
    """Five audit records in batches of two; the first batch dies after its bulk insert. The
    retry finds its entries, the chain stays whole, and each entry is published once."""
    ctx = user_context(uuid.uuid4())
    for i in range(5):
        async with unit_of_work(pool=app[PG_POOL], clock=app[CLOCK], context=ctx) as uow:
            uow.audit("probe.make", target=("probe", str(i)))
    await relay_all(app)
    writer = AuditLogWriter(app[MONGO_DB])
    crashes = [True]

    async def handler(batch, event) -> None:
        await writer(batch, event)
        if crashes and len(batch.before_commit) == 1:

            async def crash() -> None:
                crashes.clear()
                raise Crash

            batch.before_commit.append(crash)  # after the writer's bulk insert

    consumer = Consumer(name="audit-crash", handlers={"audit.recorded": handler},
                        start="beginning", batch_size=2)  # fmt: skip
    await ensure_offset(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer)
    with pytest.raises(Crash):
        await consume_batch(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer)
    assert await mongo.audit_log.count_documents({}) == 2  # written, but not committed
    while await consume_batch(pool=app[PG_POOL], clock=app[CLOCK], consumer=consumer):
        pass
    stored = [d async for d in mongo.audit_log.find({}).sort("_id", 1)]
    assert [d["target"]["id"] for d in stored] == ["0", "1", "2", "3", "4"]
    assert [d["seq"] for d in stored] == [1, 2, 3, 4, 5]
    live = await outbox.recorded(db, type="audit.entry")
    assert sorted(json.loads(r["data"])["seq"] for r in live) == [1, 2, 3, 4, 5]
    resp = await client.get(f"{ADMIN_API}/audit/verify", headers=(await admins.create()).headers)
    assert (await resp.json())["ok"]
