"""The /admin namespace end to end: only real, active admins connect; the audit feed arrives
live from REST changes (through the audit consumer and the spine), narrows with `subscribe`,
and replays after a reconnect; blocks and admin removals end sockets at once."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import socketio

from server.keys import MONGO_DB
from server.services.admin_auth import revoked_admins
from server.settings import Settings
from tests.admin_helpers import ADMIN_API


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_relay_poll_seconds = 0.2
    settings.consumer_poll_seconds = 0.1
    settings.consumers_enabled = True  # the audit feed comes from the audit consumer
    settings.realtime_auth_sweep_seconds = 600  # only the NOTIFY (or the event) can be in time
    return settings


async def refusal(sockets, token, namespace) -> str:
    rec = sockets(namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await rec.connect(token)
    return rec.refusal["data"]["code"]


def entries(rec, action: str | None = None) -> list[dict]:
    return [
        e["data"] for e in rec.of("audit.entry") if action is None or e["data"]["action"] == action
    ]


async def block(client, admin, user, reason: str = "spam") -> None:
    resp = await client.post(
        f"{ADMIN_API}/users/{user.id}/block", json={"reason": reason}, headers=admin.headers
    )
    assert resp.status == 200, await resp.text()


async def test_only_active_admins_connect_to_admin_and_users_to_the_rest(
    client, sockets, admins, users
):
    admin, user = await admins.create(), await users.create()
    assert await refusal(sockets, user.token, "/admin") == "admin_required"
    assert await refusal(sockets, admins.token(uuid.uuid4()), "/admin") == "token_revoked"
    assert await refusal(sockets, admins.token(admin.id, token_version=1), "/admin") == (
        "token_revoked"
    )
    assert await refusal(sockets, None, "/admin") == "token_missing"
    assert await refusal(sockets, admin.token, "/") == "token_invalid"
    rec = await sockets("/admin").connect(admin.token)
    assert rec.sio.connected


async def test_the_audit_feed_is_live_narrowed_and_replayed(client, sockets, admins, users):
    admin, ana, bob = await admins.create(), await users.create(), await users.create()
    rec = await sockets("/admin").connect(admin.token)
    await block(client, admin, ana)
    await rec.wait_until(lambda: entries(rec, "user.block"))
    [entry] = entries(rec, "user.block")
    assert entry["actor"] == {"kind": "admin", "id": str(admin.id)}
    assert entry["target"] == {"kind": "user", "id": str(ana.id)}

    bad = await rec.call("subscribe", {"actions": ["Not An Action"]})
    assert bad["ok"] is False and bad["error"]["code"] == "invalid_payload"
    assert bad["error"]["details"]
    assert (await rec.call("subscribe", {"target_kind": "rule", "extra": 1}))["ok"] is False
    ack = await rec.call("subscribe", {"actions": ["rule.create"]})
    assert ack == {"ok": True, "actions": ["rule.create"], "target_kind": None}
    await block(client, admin, bob)
    resp = await client.post(
        f"{ADMIN_API}/rules",
        json={"title": "T", "description": "D", "effective_from": "2026-03-01T00:00:00Z"},
        headers=admin.headers,
    )
    assert resp.status == 201
    await rec.wait_until(lambda: entries(rec, "rule.create"))
    assert [e["target"]["id"] for e in entries(rec, "user.block")] == [str(ana.id)]  # not bob's
    last_seq = max(e["seq"] for e in rec.of("audit.entry"))  # envelope seqs on admin:audit
    await rec.close()

    await client.post(f"{ADMIN_API}/users/{ana.id}/unblock", headers=admin.headers)
    back = await sockets("/admin").connect(admin.token, resume={"admin:audit": last_seq})
    await back.wait_until(lambda: entries(back, "user.unblock"))
    assert [e["seq"] for e in back.of("audit.entry")] == list(
        range(last_seq + 1, last_seq + 1 + len(back.of("audit.entry")))
    )


async def test_a_block_ends_the_users_live_socket_within_a_second(client, sockets, admins, users):
    admin, user, other = await admins.create(), await users.create(), await users.create()
    rec, bystander = await sockets().connect(user.token), await sockets().connect(other.token)
    started = time.monotonic()
    await block(client, admin, user)
    ended = await rec.wait_for("session.ended", within=1.0)
    await rec.wait_until(lambda: not rec.sio.connected, within=1.0)
    assert time.monotonic() - started < 1.0
    assert ended[0]["reason"] == "account_blocked" and ended[0]["code"] == "account_blocked"
    await asyncio.sleep(0.2)
    assert bystander.sio.connected and bystander.of("session.ended") == []


async def test_removing_an_admin_ends_their_admin_sockets(client, sockets, admins):
    first, second = await admins.create(), await admins.create()
    rec = await sockets("/admin").connect(second.token)
    stays = await sockets("/admin").connect(first.token)
    resp = await client.delete(f"{ADMIN_API}/admins/{second.id}", headers=first.headers)
    assert resp.status == 204
    ended = await rec.wait_for("session.ended", within=5.0)
    assert ended[0]["code"] == "admin_removed"
    assert ended[0]["message"] == "This admin account was removed."  # whichever path ended it
    await rec.wait_until(lambda: not rec.sio.connected)
    assert stays.sio.connected


async def test_the_sweep_tells_a_removed_admin_why_as_the_relay_would(client, admins):
    # The sweep is the relay watcher's backstop: whichever ends the socket first, the console
    # must show the same reason.
    first, second = await admins.create(), await admins.create()
    resp = await client.delete(f"{ADMIN_API}/admins/{second.id}", headers=first.headers)
    assert resp.status == 204
    holders = {(second.id, 0), (first.id, 0), (first.id, 1)}
    gone = await revoked_admins(db=client.app[MONGO_DB], holders=holders)
    assert gone == {(second.id, 0): "admin_removed", (first.id, 1): "token_revoked"}
