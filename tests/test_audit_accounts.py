"""Account and security actions through REST, each with its audit record. A caller who is not
signed in acts as the account it turns out to be (sign-up, PIN, login, reset token); with no
account to name, nothing is written and nothing is audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from server.settings import Settings
from server.stores import outbox
from tests.accounts_flow import PASSWORD, bearer, error_of, last_email, login, pin_for, signup
from tests.audit_helpers import actions_of, audit_entries, request_id, the_audit, traced, user_actor
from tests.fakes.google_certs import FakeGoogle
from tests.test_users import png

AUTH = "/api/v1/auth"
EMAIL = "ana@example.com"


@pytest.fixture
def settings(settings: Settings, google_certs: FakeGoogle) -> Settings:
    settings.realtime_relay_enabled = False  # no sockets here: the tests read the outbox
    settings.google_client_ids = [google_certs.client_id]
    settings.google_certs_url = google_certs.url
    return settings


async def post(client, path: str, body: dict, rid: str, headers: dict | None = None):
    return await client.post(path, json=body, headers=traced(headers or {}, rid))


async def events_of(db, type: str, rid: str) -> list[dict]:
    return [
        {"streams": list(r["streams"]), "data": json.loads(r["data"])}
        for r in await outbox.recorded(db, type=type)
        if json.loads(r["context"])["request_id"] == rid
    ]


async def test_sign_up_and_email_proof(client, settings, db, clock):
    rid = request_id()
    body = {"email": EMAIL, "password": PASSWORD, "name": "Ana"}
    resp = await post(client, f"{AUTH}/register", body, rid)
    assert resp.status == 202  # the same answer for taken addresses (no enumeration)
    user = {"id": str(await db.fetchval("SELECT id FROM users WHERE email = $1", EMAIL))}
    registered = await the_audit(db, rid, "user.register")
    assert registered["actor"] == user_actor(user["id"])  # the new account, from this address
    assert registered["target"] == {"kind": "user", "id": user["id"]}
    assert registered["changes"] == {
        "email": [None, EMAIL],
        "name": [None, "Ana"],
        "email_verified": [None, False],
    }
    pin = await pin_for(settings.data_dir, EMAIL)

    rid = request_id()
    wrong = "000000" if pin != "000000" else "111111"
    resp = await post(client, f"{AUTH}/verify-email", {"email": EMAIL, "pin": wrong}, rid)
    assert await error_of(resp) == (422, "invalid_pin")
    failed = await the_audit(db, rid, "user.verify_failed")
    assert failed["actor"] == user_actor(user["id"]) and failed["changes"] == {"attempts": [0, 1]}

    clock.advance(timedelta(minutes=1))
    rid = request_id()
    resp = await post(client, f"{AUTH}/verify-email/resend", {"email": EMAIL}, rid)
    assert resp.status == 202
    assert (await the_audit(db, rid, "user.verify_resend"))["actor"] == user_actor(user["id"])
    rid = request_id()
    resp = await post(client, f"{AUTH}/verify-email/resend", {"email": "no@example.com"}, rid)
    assert resp.status == 202 and await audit_entries(db, rid) == []

    rid = request_id()
    pin = await pin_for(settings.data_dir, EMAIL, count=2)
    resp = await post(client, f"{AUTH}/verify-email", {"email": EMAIL, "pin": pin}, rid)
    assert resp.status == 200
    assert (await the_audit(db, rid, "user.verify"))["changes"] == {"email_verified": [False, True]}


async def test_login_failures_lockout_and_login(client, settings, db, clock):
    user_id = (await signup(client, settings.data_dir, EMAIL))["user"]["id"]
    rid = request_id()
    resp = await post(
        client, f"{AUTH}/login", {"email": "no@example.com", "password": "x" * 9}, rid
    )
    assert resp.status == 401 and await audit_entries(db, rid) == []  # no account: no change

    for n in range(1, 5):
        rid = request_id()
        resp = await post(client, f"{AUTH}/login", {"email": EMAIL, "password": "x" * 9}, rid)
        failed = await the_audit(db, rid, "user.login_failed")
        assert failed["actor"] == user_actor(user_id)
        assert failed["changes"] == {"failures": [n - 1, n]}
    rid = request_id()
    resp = await post(client, f"{AUTH}/login", {"email": EMAIL, "password": "x" * 9}, rid)
    assert await error_of(resp) == (429, "account_locked")
    until = (clock.now() + timedelta(minutes=15)).isoformat()
    assert await actions_of(db, rid) == ["user.login_failed", "user.lockout"]
    assert (await the_audit(db, rid, "user.lockout"))["changes"] == {"locked_until": [None, until]}
    assert await events_of(db, "account.locked", rid) == [
        {"streams": [f"user:{user_id}"], "data": {"user_id": user_id, "until": until}}
    ]
    # The warning now travels as that event (the notifications pipeline emails it).
    assert (
        await db.fetchval("SELECT count(*) FROM mail_queue WHERE template = 'account_locked'") == 0
    )

    clock.advance(timedelta(minutes=15))
    rid = request_id()
    resp = await post(client, f"{AUTH}/login", {"email": EMAIL, "password": PASSWORD}, rid)
    assert resp.status == 200
    logged_in = await the_audit(db, rid, "user.login")
    assert logged_in["actor"] == user_actor(user_id)
    assert logged_in["changes"] == {"method": [None, "password"]}


async def test_refresh_reuse_and_logout(client, settings, db):
    first = await signup(client, settings.data_dir, EMAIL)
    user_id = first["user"]["id"]
    family = str(await db.fetchval("SELECT family_id FROM refresh_tokens LIMIT 1"))
    rid = request_id()
    resp = await post(client, f"{AUTH}/refresh", {"refresh_token": first["refresh_token"]}, rid)
    assert resp.status == 200
    refreshed = await the_audit(db, rid, "session.refresh")
    assert refreshed["actor"] == user_actor(user_id)
    assert refreshed["target"] == {"kind": "session", "id": family}

    rid = request_id()
    resp = await post(client, f"{AUTH}/refresh", {"refresh_token": first["refresh_token"]}, rid)
    assert await error_of(resp) == (401, "refresh_token_reused")
    revoked = await the_audit(db, rid, "session.revoke")
    assert revoked["target"] == {"kind": "session", "id": family}
    assert revoked["changes"] == {"status": ["active", "revoked"], "reason": [None, "reused"]}

    second = await login(client, EMAIL)
    rid = request_id()
    resp = await post(client, f"{AUTH}/logout", {"refresh_token": second["refresh_token"]}, rid)
    assert resp.status == 204
    out = await the_audit(db, rid, "user.logout")
    assert out["actor"] == user_actor(user_id) and out["target"] == {"kind": "user", "id": user_id}
    rid = request_id()
    await post(client, f"{AUTH}/logout", {"refresh_token": second["refresh_token"]}, rid)
    assert await audit_entries(db, rid) == []  # already ended


async def test_password_recovery(client, settings, db):
    user_id = (await signup(client, settings.data_dir, EMAIL))["user"]["id"]
    rid = request_id()
    assert (await post(client, f"{AUTH}/password/forgot", {"email": EMAIL}, rid)).status == 202
    asked = await the_audit(db, rid, "user.password_reset_request")
    assert asked["actor"] == user_actor(user_id) and asked["changes"] == {}
    rid = request_id()
    await post(client, f"{AUTH}/password/forgot", {"email": "no@example.com"}, rid)
    assert await audit_entries(db, rid) == []

    token = (await last_email(settings.data_dir, EMAIL, "password_reset"))["params"]["token"]
    rid = request_id()
    body = {"token": token, "new_password": "a brand new secret"}
    assert (await post(client, f"{AUTH}/password/reset", body, rid)).status == 200
    reset = await the_audit(db, rid, "user.password_reset")
    assert reset["actor"] == user_actor(user_id) and reset["changes"] == {}
    assert await events_of(db, "account.password_changed", rid) == [
        {"streams": [f"user:{user_id}"], "data": {"user_id": user_id}}
    ]


async def test_password_change(client, settings, db):
    session = await signup(client, settings.data_dir, EMAIL)
    user_id, url = session["user"]["id"], "/api/v1/users/me/password"
    rid = request_id()
    body = {"current_password": "not my password", "new_password": "a brand new secret"}
    resp = await post(client, url, body, rid, bearer(session))
    assert await error_of(resp) == (403, "invalid_current_password")
    assert await actions_of(db, rid) == ["user.login_failed"]  # counts toward the lockout
    rid = request_id()
    body = {"current_password": PASSWORD, "new_password": EMAIL}
    resp = await post(client, url, body, rid, bearer(session))
    assert await error_of(resp) == (422, "weak_password") and await audit_entries(db, rid) == []
    rid = request_id()
    body = {"current_password": PASSWORD, "new_password": "a brand new secret"}
    resp = await post(client, url, body, rid, bearer(session))
    assert resp.status == 200, await resp.text()
    fresh = await resp.json()
    changed = await the_audit(db, rid, "user.password_change")
    assert changed["actor"] == user_actor(user_id) and changed["changes"] == {}
    assert await events_of(db, "account.password_changed", rid) == [
        {"streams": [f"user:{user_id}"], "data": {"user_id": user_id}}
    ]
    # Every other session ended; this device carries on with the new pair.
    old = await client.get("/api/v1/users/me", headers=bearer(session))
    assert await error_of(old) == (401, "token_revoked")
    assert (await client.get("/api/v1/users/me", headers=bearer(fresh))).status == 200
    assert (await login(client, EMAIL, "a brand new secret"))["user"]["id"] == user_id
    resp = await post(client, url, {"current_password": PASSWORD, "new_password": "x"}, rid)
    assert resp.status == 401  # signed-in callers only


async def test_google_sign_up_and_link(client, settings, db, google_certs):
    rid = request_id()
    token = google_certs.id_token(sub="7", email="new@gmail.example.com")
    resp = await post(client, f"{AUTH}/google", {"id_token": token}, rid)
    new_id = (await resp.json())["user"]["id"]
    assert await actions_of(db, rid) == ["user.register", "user.login"]
    registered = await the_audit(db, rid, "user.register")
    assert registered["actor"] == user_actor(new_id)
    assert registered["changes"]["provider"] == [None, "google"]
    assert (await the_audit(db, rid, "user.login"))["changes"] == {"method": [None, "google"]}
    no_pw = await post(
        client,
        "/api/v1/users/me/password",
        {"current_password": PASSWORD, "new_password": "a brand new secret"},
        request_id(),
        bearer(await resp.json()),
    )
    assert await error_of(no_pw) == (403, "no_password")

    user_id = (await signup(client, settings.data_dir, EMAIL))["user"]["id"]
    rid = request_id()
    link = {"id_token": google_certs.id_token(sub="42", email=EMAIL), "password": PASSWORD}
    assert (await post(client, f"{AUTH}/google/link", link, rid)).status == 200
    linked = await the_audit(db, rid, "user.google_link")
    assert linked["actor"] == user_actor(user_id)
    assert linked["changes"] == {"google_linked": [False, True]}
    assert await events_of(db, "account.google_linked", rid) == [
        {"streams": [f"user:{user_id}"], "data": {"user_id": user_id}}
    ]


async def test_profile_photo_and_devices(client, settings, db):
    session = await signup(client, settings.data_dir, EMAIL, name="Ana")
    h, user_id = bearer(session), session["user"]["id"]
    rid = request_id()
    body = {"name": "Ana P.", "email": "ana.p@example.com"}
    assert (await client.patch("/api/v1/users/me", json=body, headers=traced(h, rid))).status == 200
    updated = await the_audit(db, rid, "user.profile_update")
    assert updated["actor"] == user_actor(user_id)
    assert updated["changes"] == {
        "name": ["Ana", "Ana P."],
        "pending_email": [None, "ana.p@example.com"],
    }
    rid = request_id()
    resp = await client.put("/api/v1/users/me/photo", data=png(), headers=traced(h, rid))
    assert resp.status == 200
    key = await db.fetchval("SELECT photo_key FROM users WHERE id = $1", session["user"]["id"])
    assert (await the_audit(db, rid, "user.photo_update"))["changes"] == {"photo_key": [None, key]}
    rid = request_id()
    assert (await client.delete("/api/v1/users/me/photo", headers=traced(h, rid))).status == 200
    assert (await the_audit(db, rid, "user.photo_delete"))["changes"] == {"photo_key": [key, None]}

    device = {"token": "fcm:device-token-1", "platform": "android"}
    rid = request_id()
    assert (await post(client, "/api/v1/users/me/devices", device, rid, h)).status == 201
    registered = await the_audit(db, rid, "device.register")
    assert registered["changes"] == {"platform": [None, "android"]}
    assert "device-token" not in json.dumps(registered)  # named without its push token
    rid = request_id()
    resp = await client.delete(
        "/api/v1/users/me/devices/fcm:device-token-1", headers=traced(h, rid)
    )
    assert resp.status == 204
    assert (await the_audit(db, rid, "device.delete"))["target"] == registered["target"]
