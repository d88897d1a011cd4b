"""Sign-up tells nobody whether an address has an account: the reply is the same, it takes as
long (a password is hashed either way), and the address's owner is told by email instead."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest

from tests.accounts_flow import PASSWORD, login, pin_for
from tests.mail import outbox_emails, read_emails

EMAIL = "ana@example.com"
URL = "/api/v1/auth/register"


async def _register(client, email: str, name: str = "Ana", password: str = PASSWORD):
    resp = await client.post(URL, json={"email": email, "password": password, "name": name})
    return resp.status, await resp.json()


def _sent(data_dir, template: str) -> list[dict]:
    return [e for e in outbox_emails(data_dir) if e["template"] == template]


async def test_taken_address_answers_like_a_new_one_and_its_owner_is_told(client, settings, db):
    new = await _register(client, EMAIL)
    pin = await pin_for(settings.data_dir, EMAIL)
    resp = await client.post("/api/v1/auth/verify-email", json={"email": EMAIL, "pin": pin})
    assert resp.status == 200

    taken = await _register(client, "ANA@example.com", name="Mallory", password="another pass 1")
    assert taken == new
    assert new[0] == 202 and set(new[1]) == {"status", "message"}
    [told] = await read_emails(settings.data_dir, to=EMAIL, template="account_exists")
    assert told["params"] == {"name": "Ana", "locale": "es"}
    assert "ya tiene una cuenta" in told["text"]  # Spanish unless the owner chose English
    assert len(_sent(settings.data_dir, "verify_email")) == 1  # no PIN for the impostor
    assert await db.fetchval("SELECT count(*) FROM users") == 1
    assert await db.fetchval("SELECT name FROM users") == "Ana"
    assert (await login(client, EMAIL))["user"]["name"] == "Ana"  # the password is unchanged


async def test_owner_is_told_at_most_once_an_hour_in_their_language(client, settings, db, clock):
    await _register(client, EMAIL)
    await db.execute("UPDATE users SET locale = 'en-GB'")
    for _ in range(3):
        assert (await _register(client, EMAIL))[0] == 202
    [told] = await read_emails(settings.data_dir, to=EMAIL, template="account_exists")
    assert told["params"]["locale"] == "en" and "already has an account" in told["text"]
    assert "reset" in told["text"]
    clock.advance(timedelta(hours=1, seconds=1))
    assert (await _register(client, EMAIL))[0] == 202
    await read_emails(settings.data_dir, to=EMAIL, template="account_exists", count=2)
    assert len(_sent(settings.data_dir, "verify_email")) == 1


@pytest.fixture
def settings(settings):
    # A hash cost that dwarfs everything else a sign-up does, so skipping it would show.
    settings.password_hash_time_cost = 6
    settings.password_hash_memory_kib = 65536
    settings.rate_limit_per_email_per_minute = 100
    return settings


async def test_taken_address_takes_as_long_as_a_new_one(client):
    await _register(client, EMAIL)

    async def timed(email: str) -> float:
        start = time.perf_counter()
        assert (await _register(client, email))[0] == 202
        return time.perf_counter() - start

    taken, new = [], []
    for n in range(5):
        taken.append(await timed(EMAIL))
        new.append(await timed(f"new{n}@example.com"))
    ratio = statistics.median(taken) / statistics.median(new)
    assert 0.5 < ratio < 2.0, (taken, new)
