"""Sign-up with an emailed PIN: through HTTP, against the real stores and the mail outbox."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.accounts_flow import PASSWORD, error_of, login, pin_for, register
from tests.mail import outbox_emails, read_emails

EMAIL = "ana@example.com"


async def verify(client, pin: str, email: str = EMAIL):
    return await client.post("/api/v1/auth/verify-email", json={"email": email, "pin": pin})


def other_pin(pin: str) -> str:
    return f"{(int(pin) + 1) % 1_000_000:06d}"


async def test_register_sends_a_pin_that_activates_the_account(client, settings, db):
    await register(client, "Ana@Example.COM", name="  Ana  ")
    mail = (await read_emails(settings.data_dir, to=EMAIL, template="verify_email"))[0]
    pin = mail["params"]["pin"]
    assert len(pin) == 6 and pin.isdigit() and mail["params"]["minutes_valid"] == 10
    stored = await db.fetchval("SELECT pin_hash FROM email_pins")
    assert pin not in stored  # only a digest is kept

    resp = await verify(client, pin)
    user = await resp.json()
    assert resp.status == 200 and user["email_verified"] is True
    assert user["email"] == EMAIL and user["name"] == "Ana" and user["has_password"] is True
    assert "password_hash" not in user and PASSWORD not in str(user) and "$argon2" not in str(user)
    assert (await login(client, EMAIL))["user"]["email_verified"] is True
    # Single use: the same PIN does not work twice.
    assert await error_of(await verify(client, pin)) == (422, "invalid_pin")


async def test_unverified_account_cannot_log_in(client):
    await register(client, EMAIL)
    resp = await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert await error_of(resp) == (403, "email_not_verified")


async def test_pin_expires_after_ten_minutes(client, settings, clock):
    await register(client, EMAIL)
    pin = await pin_for(settings.data_dir, EMAIL)
    clock.advance(timedelta(minutes=10, seconds=1))
    assert await error_of(await verify(client, pin)) == (422, "pin_expired")


async def test_pin_is_still_good_just_before_expiry(client, settings, clock):
    await register(client, EMAIL)
    pin = await pin_for(settings.data_dir, EMAIL)
    clock.advance(timedelta(minutes=9, seconds=59))
    assert (await verify(client, pin)).status == 200


async def test_five_wrong_pins_kill_it(client, settings):
    await register(client, EMAIL)
    pin = await pin_for(settings.data_dir, EMAIL)
    for left in (4, 3, 2, 1, 0):
        resp = await verify(client, other_pin(pin))
        body = await resp.json()
        assert resp.status == 422 and body["error"]["code"] == "invalid_pin"
        assert body["error"]["details"] == [{"attempts_left": left}]
    assert await error_of(await verify(client, pin)) == (422, "pin_attempts_exhausted")


async def test_resend_once_a_minute_and_it_kills_the_old_pin(client, settings, clock):
    await register(client, EMAIL)
    first = await pin_for(settings.data_dir, EMAIL)
    resend = {"email": EMAIL}
    resp = await client.post("/api/v1/auth/verify-email/resend", json=resend)
    assert await error_of(resp) == (429, "resend_too_soon")
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    clock.advance(timedelta(seconds=61))
    resp = await client.post("/api/v1/auth/verify-email/resend", json=resend)
    assert resp.status == 202
    second = await pin_for(settings.data_dir, EMAIL, count=2)
    if second != first:  # one in a million they coincide; then the old/new check is moot
        assert await error_of(await verify(client, first)) == (422, "invalid_pin")
    assert (await verify(client, second)).status == 200


async def test_resend_for_unknown_email_looks_the_same(client, settings):
    resp = await client.post(
        "/api/v1/auth/verify-email/resend", json={"email": "nobody@example.org"}
    )
    assert resp.status == 202
    assert outbox_emails(settings.data_dir) == []


async def test_password_rules_say_which_failed(client, db):
    async def attempt(password: str, email: str = EMAIL) -> dict:
        resp = await client.post(
            "/api/v1/auth/register", json={"email": email, "password": password, "name": "A"}
        )
        assert resp.status == 422
        return (await resp.json())["error"]

    short = await attempt("short")
    assert short["code"] == "weak_password"
    assert [d["rule"] for d in short["details"]] == ["min_length"]
    same = await attempt("ANA@example.com")
    assert [d["rule"] for d in same["details"]] == ["not_email"]
    both = await attempt("a@b.io", email="a@b.io")
    assert {d["rule"] for d in both["details"]} == {"min_length", "not_email"}
    assert await db.fetchval("SELECT count(*) FROM users") == 0


async def test_bad_input_writes_nothing(client, db):
    for body in (
        {"email": "not-an-email", "password": PASSWORD, "name": "A"},
        {"email": EMAIL, "password": PASSWORD, "name": "   "},
        {"email": EMAIL, "password": PASSWORD},
        {"email": EMAIL, "password": PASSWORD, "name": "A", "email_verified": True},
    ):
        resp = await client.post("/api/v1/auth/register", json=body)
        assert await error_of(resp) == (422, "validation_failed")
    assert await db.fetchval("SELECT count(*) FROM users") == 0


async def test_register_is_rate_limited_per_email_and_per_address(client, settings, clock, db):
    settings.rate_limit_per_email_per_minute = 2
    settings.rate_limit_per_address_per_minute = 4
    body = {"email": EMAIL, "password": "short", "name": "A"}  # refused, but still counted
    for _ in range(2):
        assert (await client.post("/api/v1/auth/register", json=body)).status == 422
    resp = await client.post("/api/v1/auth/register", json=body)
    assert await error_of(resp) == (429, "rate_limited")
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    # Other emails from the same address still pass until the address budget (4) is spent.
    other = {**body, "email": "bob@example.com"}
    assert (await client.post("/api/v1/auth/register", json=other)).status == 422
    resp = await client.post("/api/v1/auth/register", json={**body, "email": "cy@example.com"})
    assert await error_of(resp) == (429, "rate_limited")
    clock.advance(timedelta(minutes=1))
    assert (await client.post("/api/v1/auth/register", json=body)).status == 422
    assert await db.fetchval("SELECT count(*) FROM users") == 0


async def test_per_address_limit_follows_trusted_proxy_hops(client, settings):
    settings.rate_limit_per_address_per_minute = 2
    body = {"email": "x@example.com", "password": "short", "name": "A"}  # refused, still counted

    async def status(n: int, forwarded: str) -> int:
        resp = await client.post(
            "/api/v1/auth/register",
            json={**body, "email": f"u{n}-{uuid.uuid4().hex[:6]}@example.com"},
            headers={"X-Forwarded-For": forwarded},
        )
        return resp.status

    # No trusted proxy: the header is the client's own words, so changing it changes nothing.
    assert [await status(n, f"10.0.0.{n}") for n in range(3)] == [422, 422, 429]
    # Behind one load balancer: the last entry is the client, what it wrote before is ignored.
    settings.trusted_proxy_hops = 1
    assert [await status(n, f"1.1.1.{n}, 203.0.113.7") for n in range(3)] == [422, 422, 429]
    assert await status(9, "203.0.113.8") == 422  # another client behind the same balancer
