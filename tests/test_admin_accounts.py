"""Admin accounts and sessions over HTTP: login (with the users' lockout), refresh rotation and
reuse detection, logout, creating, listing and removing admins (never yourself, never the last
one), and the audit records each of these commits."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from server.stores import outbox
from tests.admin_helpers import ADMIN_API, ADMIN_PASSWORD


async def login(client, email: str, password: str = ADMIN_PASSWORD):
    return await client.post(f"{ADMIN_API}/auth/login", json={"email": email, "password": password})


async def audit_actions(db) -> list[tuple[str, dict, dict]]:
    """(action, target, context) of every audit record committed so far."""
    rows = await outbox.recorded(db, type="audit.recorded")
    return [
        (json.loads(r["data"])["action"], json.loads(r["data"])["target"], json.loads(r["context"]))
        for r in rows
    ]


async def test_login_gives_an_admin_session_that_opens_admin_routes(client, admins, db):
    admin = await admins.create("Ada", email="Ada@Example.com")
    resp = await login(client, "ada@example.com")
    assert resp.status == 200, await resp.text()
    session = await resp.json()
    assert session["admin"]["email"] == "ada@example.com"
    assert session["expires_in"] == 15 * 60
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    listed = await client.get(f"{ADMIN_API}/admins", headers=headers)
    assert listed.status == 200
    assert [a["id"] for a in (await listed.json())["items"]] == [str(admin.id)]
    assert "password_hash" not in (await listed.json())["items"][0]
    logins = [(t, c) for a, t, c in await audit_actions(db) if a == "admin.login"]
    assert logins == [
        (
            {"kind": "admin", "id": str(admin.id)},
            {"actor": {"kind": "admin", "id": str(admin.id)}, "ip": "127.0.0.1",
             "request_id": logins[0][1]["request_id"]},
        )
    ]  # fmt: skip
    assert logins[0][1]["request_id"]


async def test_wrong_passwords_lock_the_account_like_users(client, admins, clock, db):
    admin = await admins.create()
    for _ in range(4):
        resp = await login(client, admin.email, "wrong password!")
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "invalid_credentials"
    fifth = await login(client, admin.email, "wrong password!")
    assert fifth.status == 429 and (await fifth.json())["error"]["code"] == "account_locked"
    assert int(fifth.headers["Retry-After"]) == 15 * 60
    locked = await login(client, admin.email)  # even the right password waits
    assert locked.status == 429
    assert await db.fetchval("SELECT count(*) FROM mail_queue WHERE to_address = $1", admin.email)
    clock.advance(timedelta(minutes=16))
    assert (await login(client, admin.email)).status == 200
    actions = [a for a, _, _ in await audit_actions(db)]
    assert actions.count("admin.login_failed") == 5 and actions.count("admin.lock") == 1


async def test_unknown_email_and_removed_admins_cannot_log_in(client, admins):
    first, second = await admins.create(), await admins.create()
    assert (await login(client, "nobody@example.com")).status == 401
    gone = await client.delete(f"{ADMIN_API}/admins/{second.id}", headers=first.headers)
    assert gone.status == 204
    resp = await login(client, second.email)
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "invalid_credentials"


async def test_refresh_rotates_and_a_reused_token_ends_the_session(client, admins, db):
    admin = await admins.create()
    first = await (await login(client, admin.email)).json()
    resp = await client.post(
        f"{ADMIN_API}/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert resp.status == 200
    second = await resp.json()
    assert second["refresh_token"] != first["refresh_token"]
    reused = await client.post(
        f"{ADMIN_API}/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert (await reused.json())["error"]["code"] == "refresh_token_reused"
    after = await client.post(
        f"{ADMIN_API}/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert after.status == 401
    assert (await after.json())["error"]["code"] == "refresh_token_revoked"
    actions = [a for a, _, _ in await audit_actions(db)]
    assert "admin.refresh" in actions and "admin.session_revoke" in actions


async def test_logout_ends_the_refresh_family(client, admins):
    admin = await admins.create()
    session = await (await login(client, admin.email)).json()
    body = {"refresh_token": session["refresh_token"]}
    assert (await client.post(f"{ADMIN_API}/auth/logout", json=body)).status == 204
    assert (await client.post(f"{ADMIN_API}/auth/logout", json=body)).status == 204
    resp = await client.post(f"{ADMIN_API}/auth/refresh", json=body)
    assert (await resp.json())["error"]["code"] == "refresh_token_revoked"


async def test_an_admin_creates_another_admin(client, admins, db, mongo):
    admin = await admins.create()
    body = {"email": "Grace@Example.com", "name": "Grace", "password": "a long passphrase"}
    resp = await client.post(f"{ADMIN_API}/admins", json=body, headers=admin.headers)
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert created["email"] == "grace@example.com"
    assert created["created_by"] == str(admin.id)
    doc = await mongo["admins"].find_one({"_id": created["id"]})
    assert doc["status"] == "active" and doc["password_hash"].startswith("$argon2id$")
    assert await mongo["admin_intents"].count_documents({}) == 0  # applied, then dropped
    assert (await login(client, "grace@example.com", "a long passphrase")).status == 200
    again = await client.post(f"{ADMIN_API}/admins", json=body, headers=admin.headers)
    assert again.status == 409 and (await again.json())["error"]["code"] == "email_taken"
    creates = [(t, c["actor"]) for a, t, c in await audit_actions(db) if a == "admin.create"]
    assert creates[-1] == (
        {"kind": "admin", "id": created["id"]},
        {"kind": "admin", "id": str(admin.id)},
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "not-an-email", "name": "X", "password": "a long passphrase"}, 422,
         "validation_failed"),
        ({"email": "x@example.com", "name": "", "password": "a long passphrase"}, 422,
         "validation_failed"),
        ({"email": "x@example.com", "name": "X", "password": "short"}, 422, "weak_password"),
        ({"email": "x@example.com", "name": "X"}, 422, "validation_failed"),
        ({"email": "x@example.com", "name": "X", "password": "a long passphrase", "role": "root"},
         422, "validation_failed"),
    ],
)  # fmt: skip
async def test_invalid_admin_bodies_are_refused_and_write_nothing(
    client, admins, mongo, body, status, code
):
    admin = await admins.create()
    resp = await client.post(f"{ADMIN_API}/admins", json=body, headers=admin.headers)
    assert resp.status == status and (await resp.json())["error"]["code"] == code
    assert await mongo["admins"].count_documents({}) == 1


async def test_removing_an_admin_ends_their_tokens_never_self(client, admins, db):
    a, b = await admins.create("A"), await admins.create("B")
    me = await client.delete(f"{ADMIN_API}/admins/{a.id}", headers=a.headers)
    assert me.status == 409 and (await me.json())["error"]["code"] == "cannot_remove_self"
    resp = await client.delete(f"{ADMIN_API}/admins/{b.id}", headers=a.headers)
    assert resp.status == 204
    refused = await client.get(f"{ADMIN_API}/admins", headers=b.headers)
    assert refused.status == 401 and (await refused.json())["error"]["code"] == "token_revoked"
    again = await client.delete(f"{ADMIN_API}/admins/{b.id}", headers=a.headers)
    assert again.status == 404
    listed = await (await client.get(f"{ADMIN_API}/admins", headers=a.headers)).json()
    assert {x["id"]: x["status"] for x in listed["items"]} == {
        str(a.id): "active",
        str(b.id): "removed",
    }
    deletes = [(t, c["actor"]) for act, t, c in await audit_actions(db) if act == "admin.delete"]
    assert deletes == [({"kind": "admin", "id": str(b.id)}, {"kind": "admin", "id": str(a.id)})]


async def test_two_admins_removing_each_other_leave_one(client, admins, mongo):
    a, b = await admins.create("A"), await admins.create("B")
    results = await asyncio.gather(
        client.delete(f"{ADMIN_API}/admins/{b.id}", headers=a.headers),
        client.delete(f"{ADMIN_API}/admins/{a.id}", headers=b.headers),
    )
    statuses = sorted(r.status for r in results)
    assert statuses == [204, 409]
    loser = next(r for r in results if r.status == 409)
    assert (await loser.json())["error"]["code"] == "last_admin"
    assert await mongo["admins"].count_documents({"status": "active"}) == 1


async def test_admin_routes_refuse_user_tokens_and_user_routes_refuse_admin_tokens(
    client, admins, users
):
    admin, user = await admins.create(), await users.create()
    resp = await client.get(f"{ADMIN_API}/admins", headers=user.headers)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "admin_required"
    resp = await client.get("/api/v1/users/me", headers=admin.headers)
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "token_invalid"
    resp = await client.get(f"{ADMIN_API}/admins")
    assert resp.status == 401
