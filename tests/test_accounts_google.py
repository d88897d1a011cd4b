"""Sign in with Google against a loopback certificate endpoint speaking Google's format."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.accounts_flow import PASSWORD, bearer, error_of, login, signup
from tests.fakes.google_certs import FakeGoogle


@pytest.fixture
def settings(settings, google_certs: FakeGoogle):
    settings.google_client_ids = ["another-app.apps.googleusercontent.com", google_certs.client_id]
    settings.google_certs_url = google_certs.url
    return settings


async def google(client, token: str):
    return await client.post("/api/v1/auth/google", json={"id_token": token})


async def test_new_email_creates_a_verified_account(client, google_certs, db):
    resp = await google(client, google_certs.id_token(sub="111", email="New@Gmail.example.com"))
    assert resp.status == 200, await resp.text()
    session = await resp.json()
    user = session["user"]
    assert user["email"] == "new@gmail.example.com" and user["name"] == "Ana Google"
    assert user["email_verified"] and user["google_linked"] and not user["has_password"]
    assert user["photo_url"].startswith("https://lh3.")
    me = await client.get("/api/v1/users/me", headers=bearer(session))
    assert me.status == 200
    # The same Google account signs in again into the same user, and may edit its name.
    again = await (await google(client, google_certs.id_token(sub="111"))).json()
    assert again["user"]["id"] == user["id"]
    await client.patch("/api/v1/users/me", json={"name": "Ana G."}, headers=bearer(again))
    assert await db.fetchval("SELECT name FROM users") == "Ana G."
    assert await db.fetchval("SELECT count(*) FROM users") == 1


async def test_certificates_are_cached(client, google_certs):
    for sub in ("1", "2", "3"):
        token = google_certs.id_token(sub=sub, email=f"u{sub}@gmail.example.com")
        assert (await google(client, token)).status == 200
    assert google_certs.requests == 1


async def test_rotated_key_is_fetched_when_unknown(client, google_certs):
    assert (await google(client, google_certs.id_token(sub="1"))).status == 200
    new_kid = google_certs.add_key()
    token = google_certs.id_token(sub="2", email="b@gmail.example.com", kid=new_kid)
    assert (await google(client, token)).status == 200
    assert google_certs.requests == 2


@pytest.mark.parametrize(
    "kind",
    ["expired", "wrong_audience", "bad_signature", "alg_none", "wrong_issuer", "garbage"],
)
async def test_invalid_tokens_are_refused(client, google_certs, db, kind):
    if kind == "expired":
        token = google_certs.id_token(expires_in=-60)
    elif kind == "wrong_audience":
        token = google_certs.id_token(audience="someone-else.apps.googleusercontent.com")
    elif kind == "bad_signature":
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = google_certs.id_token(key=stranger)
    elif kind == "alg_none":
        _, payload, _ = google_certs.id_token().split(".")
        none = {"alg": "none", "typ": "JWT", "kid": next(iter(google_certs.keys))}
        head = base64.urlsafe_b64encode(json.dumps(none).encode()).rstrip(b"=").decode()
        token = f"{head}.{payload}."
    elif kind == "wrong_issuer":
        token = google_certs.id_token(issuer="https://evil.example.com")
    else:
        token = "not.a.jwt"
    assert await error_of(await google(client, token)) == (401, "invalid_google_token")
    assert await db.fetchval("SELECT count(*) FROM users") == 0


async def test_unverified_google_email_is_refused(client, google_certs, db):
    resp = await google(client, google_certs.id_token(email_verified=False))
    assert await error_of(resp) == (401, "google_email_not_verified")
    assert await db.fetchval("SELECT count(*) FROM users") == 0


async def test_password_account_must_be_linked_then_both_ways_work(client, settings, google_certs):
    email = "ana@example.com"
    await signup(client, settings.data_dir, email)
    token = google_certs.id_token(sub="42", email=email)
    resp = await google(client, token)
    assert await error_of(resp) == (409, "link_required")

    link = {"id_token": token, "password": "wrong password"}
    resp = await client.post("/api/v1/auth/google/link", json=link)
    assert await error_of(resp) == (401, "invalid_credentials")
    link["password"] = PASSWORD
    resp = await client.post("/api/v1/auth/google/link", json=link)
    assert resp.status == 200
    linked = (await resp.json())["user"]
    assert linked["google_linked"] and linked["has_password"]

    by_google = await (await google(client, google_certs.id_token(sub="42", email=email))).json()
    by_password = await login(client, email)
    assert by_google["user"]["id"] == by_password["user"]["id"] == linked["id"]


async def test_blocked_google_account_is_refused(client, google_certs, db):
    assert (await google(client, google_certs.id_token(sub="7"))).status == 200
    await db.execute("UPDATE users SET status = 'blocked'")
    assert await error_of(await google(client, google_certs.id_token(sub="7"))) == (
        403,
        "account_blocked",
    )
