"""Login, lockout, refresh rotation with reuse detection, logout, password recovery."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

from server.stores import outbox
from tests.accounts_flow import PASSWORD, bearer, error_of, last_email, login, signup
from tests.mail import outbox_emails

EMAIL = "ana@example.com"


async def attempt(client, email: str = EMAIL, password: str = PASSWORD):
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def refresh(client, token: str):
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def test_login_returns_a_working_session(client, settings):
    session = await signup(client, settings.data_dir, EMAIL)
    assert session["token_type"] == "Bearer" and session["expires_in"] == 15 * 60
    assert session["user"]["email"] == EMAIL and session["refresh_token"]
    me = await client.get("/api/v1/users/me", headers=bearer(session))
    assert me.status == 200 and (await me.json())["id"] == session["user"]["id"]


async def test_unknown_email_and_wrong_password_look_the_same(client, settings):
    await signup(client, settings.data_dir, EMAIL)
    timings = {}
    for label, resp_args in (
        ("unknown", ("nobody@example.com", PASSWORD)),
        ("wrong", (EMAIL, "x" * 12)),
    ):
        started = time.perf_counter()
        resp = await attempt(client, *resp_args)
        timings[label] = time.perf_counter() - started
        body = await resp.json()
        assert resp.status == 401 and body["error"]["code"] == "invalid_credentials"
        assert body["error"]["message"] == "The email or password is not correct."
    # Both pay for one argon2id verification (the unknown email against a dummy hash).
    assert timings["unknown"] > timings["wrong"] / 3


async def test_blocked_account_is_refused_after_the_password(client, settings, db):
    await signup(client, settings.data_dir, EMAIL)
    await db.execute("UPDATE users SET status = 'blocked'")
    assert await error_of(await attempt(client)) == (403, "account_blocked")
    assert await error_of(await attempt(client, password="wrong password")) == (
        401,
        "invalid_credentials",
    )


async def test_five_failures_lock_the_account_for_fifteen_minutes(client, settings, clock, db):
    session = await signup(client, settings.data_dir, EMAIL)
    for _ in range(4):
        assert await error_of(await attempt(client, password="wrong password")) == (
            401,
            "invalid_credentials",
        )
    resp = await attempt(client, password="wrong password")
    assert await error_of(resp) == (429, "account_locked")
    assert int(resp.headers["Retry-After"]) == 15 * 60
    # The owner is warned through the notifications pipeline, which takes this event.
    [locked] = await outbox.recorded(db, type="account.locked")
    assert list(locked["streams"]) == [f"user:{session['user']['id']}"]
    assert json.loads(locked["data"]) == {
        "user_id": session["user"]["id"],
        "until": (clock.now() + timedelta(minutes=15)).isoformat(),
    }
    # Even the right password waits out the lock.
    clock.advance(timedelta(minutes=10))
    resp = await attempt(client)
    assert await error_of(resp) == (429, "account_locked")
    assert int(resp.headers["Retry-After"]) == 5 * 60
    clock.advance(timedelta(minutes=5))
    assert (await attempt(client)).status == 200


async def test_failures_outside_the_window_do_not_add_up(client, settings, clock):
    await signup(client, settings.data_dir, EMAIL)
    for _ in range(4):
        await attempt(client, password="wrong password")
    clock.advance(timedelta(minutes=15, seconds=1))
    for _ in range(4):
        assert (await attempt(client, password="wrong password")).status == 401
    assert (await attempt(client)).status == 200


async def test_login_is_rate_limited_per_email(client, settings):
    settings.rate_limit_per_email_per_minute = 3
    for _ in range(3):
        assert (await attempt(client, email="nobody@example.com")).status == 401
    resp = await attempt(client, email="nobody@example.com")
    assert await error_of(resp) == (429, "rate_limited") and "Retry-After" in resp.headers


async def test_refresh_rotates_and_reuse_revokes_the_family(client, settings):
    first = await signup(client, settings.data_dir, EMAIL)
    resp = await refresh(client, first["refresh_token"])
    assert resp.status == 200
    second = await resp.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/v1/users/me", headers=bearer(second))).status == 200
    # The spent token comes back: someone copied it. The whole family dies.
    assert await error_of(await refresh(client, first["refresh_token"])) == (
        401,
        "refresh_token_reused",
    )
    assert await error_of(await refresh(client, second["refresh_token"])) == (
        401,
        "refresh_token_revoked",
    )
    # Other sessions (another device) are not touched.
    other = await login(client, EMAIL)
    assert (await refresh(client, other["refresh_token"])).status == 200


async def test_concurrent_refreshes_with_one_token_rotate_once(client, settings):
    session = await signup(client, settings.data_dir, EMAIL)
    results = await asyncio.gather(*(refresh(client, session["refresh_token"]) for _ in range(5)))
    assert sorted(r.status for r in results) == [200, 401, 401, 401, 401]


async def test_refresh_expires_after_thirty_days(client, settings, clock):
    session = await signup(client, settings.data_dir, EMAIL)
    clock.advance(timedelta(days=30, seconds=1))
    assert await error_of(await refresh(client, session["refresh_token"])) == (
        401,
        "refresh_token_expired",
    )
    assert await error_of(await refresh(client, "made-up")) == (401, "invalid_refresh_token")


async def test_logout_ends_the_session(client, settings):
    session = await signup(client, settings.data_dir, EMAIL)
    rotated = await (await refresh(client, session["refresh_token"])).json()
    resp = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]}
    )
    assert resp.status == 204
    assert await error_of(await refresh(client, rotated["refresh_token"])) == (
        401,
        "refresh_token_revoked",
    )


async def test_blocking_revokes_tokens_and_refresh(client, settings, db):
    session = await signup(client, settings.data_dir, EMAIL)
    await db.execute("UPDATE users SET status = 'blocked', token_version = token_version + 1")
    me = await client.get("/api/v1/users/me", headers=bearer(session))
    assert me.status == 401
    assert await error_of(await refresh(client, session["refresh_token"])) == (
        401,
        "refresh_token_revoked",
    )


async def test_forgot_is_always_202_and_reset_ends_every_session(client, settings, clock):
    resp = await client.post("/api/v1/auth/password/forgot", json={"email": "nobody@example.com"})
    assert resp.status == 202
    assert [e for e in outbox_emails(settings.data_dir) if e["template"] == "password_reset"] == []

    phone = await signup(client, settings.data_dir, EMAIL)
    laptop = await login(client, EMAIL)
    resp = await client.post("/api/v1/auth/password/forgot", json={"email": EMAIL})
    assert resp.status == 202
    mail = await last_email(settings.data_dir, EMAIL, "password_reset")
    token = mail["params"]["token"]
    assert mail["params"]["minutes_valid"] == 30

    reset = {"token": token, "new_password": "short"}
    resp = await client.post("/api/v1/auth/password/reset", json=reset)
    assert await error_of(resp) == (422, "weak_password")
    reset["new_password"] = "a brand new secret"
    assert (await client.post("/api/v1/auth/password/reset", json=reset)).status == 200
    # Single use.
    resp = await client.post("/api/v1/auth/password/reset", json=reset)
    assert await error_of(resp) == (422, "invalid_reset_token")
    # Every session ends: access tokens (version bump) and refresh tokens.
    for session in (phone, laptop):
        me = await client.get("/api/v1/users/me", headers=bearer(session))
        assert await error_of(me) == (401, "token_revoked")
        assert (await refresh(client, session["refresh_token"])).status == 401
    assert (await attempt(client)).status == 401
    assert (await attempt(client, password="a brand new secret")).status == 200


async def test_reset_token_expires_after_thirty_minutes(client, settings, clock):
    await signup(client, settings.data_dir, EMAIL)
    await client.post("/api/v1/auth/password/forgot", json={"email": EMAIL})
    token = (await last_email(settings.data_dir, EMAIL, "password_reset"))["params"]["token"]
    clock.advance(timedelta(minutes=31))
    resp = await client.post(
        "/api/v1/auth/password/reset", json={"token": token, "new_password": "another secret"}
    )
    assert await error_of(resp) == (422, "reset_token_expired")
    assert (await attempt(client)).status == 200
