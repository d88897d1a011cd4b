"""A user's private fields (email, pending email, locale, location, Google id, push devices,
last sign-in, notification preferences) reach nobody else: not through any route, walked as a
teacher of theirs, a classmate and a stranger, and not through any event they receive live."""

from __future__ import annotations

import json
from typing import Any

from server.domain.notification_preferences import NotificationPreferences
from server.stores import notification_preferences as preferences
from tests.assignment_helpers import PDF, auto_questions, published, right_answers, submit, upload
from tests.course_helpers import API, create_course, enroll
from tests.route_walk import concrete, endpoints

# Sample bodies and queries where an empty one would stop at validation before any data.
BODIES: dict[str, Any] = {
    "MemberStatusUpdate": {"status": "approved"},
    "FeedbackBody": {"rating": 4, "comment": "Good work."},
    "AssistantUpdate": {"permissions": {"grade": True}},
}


async def _victim_with_private_fields(client, users, db, mongo) -> tuple[Any, dict[str, str]]:
    victim = await users.create("Vera Victim", email="vera.secret.address@example.test")
    secrets = {
        "email": victim.email,
        "pending_email": "vera.pending.secret@example.test",
        "locale": "eu-Zq7x9",
        "location": "41.3870154",
        "google_sub": "google-sub-0123456789-secret",
        "device": "fcm-device-token-secret-0123456789",
    }
    await db.execute(
        "UPDATE users SET pending_email = $2, locale = $3, location_lat = $4, location_lon = 2.17, "
        "google_sub = $5 WHERE id = $1",
        victim.id, secrets["pending_email"], secrets["locale"], float(secrets["location"]),
        secrets["google_sub"],
    )  # fmt: skip
    resp = await client.post(
        f"{API}/users/me/devices",
        json={"token": secrets["device"], "platform": "android"},
        headers=victim.headers,
    )
    assert resp.status in (200, 201), await resp.text()
    # Signing in would stamp a last-login time; its value is the owner's business alone.
    await db.execute(
        "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, token_version, "
        "issued_at, expires_at) VALUES (gen_random_uuid(), gen_random_uuid(), $1, "
        "'\\x00'::bytea, 0, '2026-01-04T03:21:09.123456Z', '2026-02-04T00:00:00Z')",
        victim.id,
    )
    secrets["last_login"] = "03:21:09"
    prefs = NotificationPreferences(
        timezone="Pacific/Chatham", quiet_hours={"start": "04:44:44", "end": "05:55:55"}
    )
    await preferences.save(mongo, victim.id, prefs)
    secrets |= {"timezone": "Pacific/Chatham", "quiet_hours": "04:44:44"}
    return victim, secrets


async def test_private_fields_reach_only_their_owner(client, app, users, db, mongo, sockets):
    teacher, peer, stranger = [await users.create(n) for n in ("Tess", "Pete", "Stan")]
    victim, secrets = await _victim_with_private_fields(client, users, db, mongo)
    course = (await create_course(client, teacher))["id"]
    await enroll(client, peer, course)
    watchers = {u.name: await sockets().connect(u.token) for u in (teacher, peer, stranger)}

    # The victim acts, so events about them flow to the others.
    await enroll(client, victim, course)
    task = await published(client, teacher, course, questions=auto_questions())
    up = await (await upload(client, victim, PDF, "mine.pdf", "application/pdf")).json()
    sub = await (await submit(client, victim, task["id"], answers=right_answers()[:2])).json()
    await client.post(
        f"{API}/courses/{course}/feedback", json={"rating": 5}, headers=victim.headers
    )
    await client.patch(f"{API}/users/me", json={"bio": "Hi"}, headers=victim.headers)

    ids = {
        "course_id": course, "user_id": str(victim.id), "assignment_id": task["id"],
        "submission_id": sub["id"], "file_id": up["file_id"], "token": secrets["device"],
    }  # fmt: skip
    queries = {"UserSearch": {"q": "vera"}}
    seen: list[str] = []
    # Reads first, changes next, deletions last, so every route finds the data in place.
    order = {"GET": 0, "DELETE": 2}
    for ep in sorted(endpoints(app), key=lambda ep: order.get(ep.method, 1)):
        url = concrete(ep.path, **ids)
        for viewer in (teacher, peer, stranger):
            resp = await client.request(
                ep.method,
                url,
                json=BODIES.get(ep.body.__name__, {}) if ep.body else None,
                params=queries.get(ep.query.__name__) if ep.query else None,
                headers=viewer.headers,
            )
            # Binary answers (PDF reports) are read as text too; their own tests read them back.
            body = (await resp.read()).decode("utf-8", "replace")
            seen.append(f"{ep.method} {ep.path} -> {resp.status}: {body}")
    for name, rec in watchers.items():
        await rec.wait_for("course.deleted")  # the walk's last change: all before it arrived
        seen.extend(f"event to {name}: {json.dumps(e)}" for e in rec.events)

    leaks = [(field, line[:200]) for line in seen for field, s in secrets.items() if s in line]
    assert not leaks
    assert any("Vera Victim" in line for line in seen)  # the walk did reach the victim
    got = {e[0] for e in watchers["Tess"].events}
    assert {"enrollment.created", "submission.created", "feedback.received"} <= got


async def test_user_search_matches_names_not_email_addresses(client, users):
    vera = await users.create("Vera Victim", email="zed.hidden@example.test")
    other = await users.create("Someone")
    found = []
    for q in ("zed", "zed.hidden", "zed.hidden@example.test", "ver", "Vera V"):
        resp = await client.get(f"{API}/users", params={"q": q}, headers=other.headers)
        assert resp.status == 200
        found.append([u["id"] for u in (await resp.json())["items"]])
    assert found == [[], [], [], [str(vera.id)], [str(vera.id)]]
