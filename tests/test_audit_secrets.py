"""A whole journey through the API, then a search of everything it recorded in the outbox
(events and audit records, their data and their context) for every secret it used: passwords,
PINs, access and refresh tokens, the reset token, a push token, a Google ID token, and the
hashes stored for them. None may appear."""

from __future__ import annotations

import re

import pytest

from server.settings import Settings
from tests.accounts_flow import PASSWORD, bearer, last_email, pin_for
from tests.assignment_helpers import PDF, published, right_answers, upload
from tests.course_helpers import API, create_course
from tests.fakes.google_certs import FakeGoogle

AUTH = "/api/v1/auth"
EMAIL = "ana@example.com"
SECOND, THIRD = "second secret words", "third secret words"


@pytest.fixture
def settings(settings: Settings, google_certs: FakeGoogle) -> Settings:
    settings.realtime_relay_enabled = False
    settings.google_client_ids = [google_certs.client_id]
    settings.google_certs_url = google_certs.url
    return settings


async def ok(resp, status: int = 200):
    assert resp.status == status, await resp.text()
    return await resp.json() if resp.content_type == "application/json" else None


async def journey(client, settings, db, google_certs, users) -> set[str]:
    """Every account and course action once; returns the secrets it used."""
    used = {PASSWORD, SECOND, THIRD, "a wrong password"}
    body = {"email": EMAIL, "password": PASSWORD, "name": "Ana"}
    await ok(await client.post(f"{AUTH}/register", json=body), 202)
    used.add(await db.fetchval("SELECT pin_hash FROM email_pins"))
    pin = await pin_for(settings.data_dir, EMAIL)
    used.add(pin)
    await ok(await client.post(f"{AUTH}/verify-email", json={"email": EMAIL, "pin": pin}))
    bad = {"email": EMAIL, "password": "a wrong password"}
    assert (await client.post(f"{AUTH}/login", json=bad)).status == 401
    s1 = await ok(await client.post(f"{AUTH}/login", json={"email": EMAIL, "password": PASSWORD}))
    s2 = await ok(await client.post(f"{AUTH}/refresh", json={"refresh_token": s1["refresh_token"]}))
    reuse = await client.post(f"{AUTH}/refresh", json={"refresh_token": s1["refresh_token"]})
    assert reuse.status == 401
    used.add(s2["access_token"])  # the reuse ended every session, this one's too: sign in again
    s2 = await ok(await client.post(f"{AUTH}/login", json={"email": EMAIL, "password": PASSWORD}))
    change = {"current_password": PASSWORD, "new_password": SECOND}
    s3 = await ok(await client.post("/api/v1/users/me/password", json=change, headers=bearer(s2)))
    await ok(await client.post(f"{AUTH}/password/forgot", json={"email": EMAIL}), 202)
    reset = (await last_email(settings.data_dir, EMAIL, "password_reset"))["params"]["token"]
    used.add(reset)
    used.update(
        r["token_hash"].hex() for r in await db.fetch("SELECT token_hash FROM password_resets")
    )
    await ok(
        await client.post(f"{AUTH}/password/reset", json={"token": reset, "new_password": THIRD})
    )
    s4 = await ok(await client.post(f"{AUTH}/login", json={"email": EMAIL, "password": THIRD}))
    google_token = google_certs.id_token(sub="9", email=EMAIL)
    link = {"id_token": google_token, "password": THIRD}
    s5 = await ok(await client.post(f"{AUTH}/google/link", json=link))
    used.add(google_token)
    device = {"token": "fcm:journey-device-token", "platform": "ios"}
    await ok(await client.post("/api/v1/users/me/devices", json=device, headers=bearer(s5)), 201)
    await ok(await client.patch("/api/v1/users/me", json={"bio": "Hi"}, headers=bearer(s5)))

    student = await users.create("Sam Student")
    teacher = await users.create("Tess Teacher")
    course = await create_course(client, teacher)
    enroll = f"{API}/courses/{course['id']}/enrollments"
    await ok(await client.post(enroll, headers=student.headers), 201)
    await ok(await client.post(enroll, headers=bearer(s5)), 201)
    task = await published(client, teacher, course["id"])
    await ok(await upload(client, student, PDF, "work.pdf", "application/pdf"), 201)
    sub = await ok(
        await client.post(
            f"{API}/assignments/{task['id']}/submissions",
            json={"answers": right_answers()},
            headers=student.headers,
        ),
        201,
    )
    grade = {"question_scores": {"q3": 3}, "feedback": "Good."}
    url = f"{API}/submissions/{sub['id']}"
    await ok(await client.put(f"{url}/grade", json=grade, headers=teacher.headers))
    await ok(await client.post(f"{url}/publish-grade", headers=teacher.headers))
    await ok(await client.post(f"{AUTH}/logout", json={"refresh_token": s5["refresh_token"]}), 204)

    for s in (s1, s2, s3, s4, s5):
        used.update((s["access_token"], s["refresh_token"]))
    used.update((student.token, teacher.token, device["token"]))
    used.update(r["password_hash"] for r in await db.fetch("SELECT password_hash FROM users"))
    used.update(
        r["token_hash"].hex() for r in await db.fetch("SELECT token_hash FROM refresh_tokens")
    )
    return {u for u in used if u}


async def test_no_secret_reaches_the_outbox(client, settings, db, google_certs, users):
    used = await journey(client, settings, db, google_certs, users)
    rows = await db.fetch("SELECT type, data::text AS data, context::text AS context FROM outbox")
    actions = {r["data"] for r in rows if r["type"] == "audit.recorded"}
    # The journey was audited (so the search below had something to search).
    for action in ("user.register", "user.password_change", "user.password_reset", "grade.publish"):
        assert any(f'"action": "{action}"' in a for a in actions), action
    recorded = "\n".join(f"{r['type']} {r['data']} {r['context']}" for r in rows)
    assert len(used) >= 20
    for secret in used:
        # Digits-only secrets (the PIN) must not match inside a longer number.
        pattern = rf"(?<!\d){re.escape(secret)}(?!\d)" if secret.isdigit() else re.escape(secret)
        assert not re.search(pattern, recorded), f"a secret reached the outbox: {secret[:12]}…"
