"""Admins governing users over HTTP: the list and its filters, the audited detail, blocks with
immediate effect (and their self-lifting end), and permissions enforced where they apply."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from server.keys import SETTINGS
from server.settings import Settings
from server.stores import outbox
from tests.accounts_flow import bearer, login, signup
from tests.admin_helpers import ADMIN_API
from tests.consumer_helpers import settled
from tests.course_helpers import API, course_body, create_course, enroll


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.admin_block_poll_seconds = 0.05  # the self-lifting block is seen at once
    settings.realtime_relay_poll_seconds = 0.2
    settings.consumer_poll_seconds = 0.1
    settings.consumers_enabled = True  # blocks and rules notify through the consumer
    return settings


async def audits(db, action: str) -> list[dict]:
    rows = await outbox.recorded(db, type="audit.recorded")
    found = []
    for row in rows:
        data = json.loads(row["data"])
        if data["action"] == action:
            found.append({**data, "context": json.loads(row["context"])})
    return found


async def test_the_user_list_filters_pages_and_counts(client, admins, users, db, clock):
    admin = await admins.create()
    ana = await users.create("Ana Lima", email="ana@example.com")
    bob = await users.create("Bob Stone", email="bob@example.com")
    cid = await users.create("Cid Lima", email="cid@example.com", status="blocked")
    course = await create_course(client, ana)
    await enroll(client, bob, course["id"])
    for user, days_ago in ((ana, 4), (bob, 2), (cid, 0)):  # signed up two days apart
        await db.execute(
            "UPDATE users SET created_at = $2 WHERE id = $1",
            user.id, clock.now() - timedelta(days=days_ago),
        )  # fmt: skip
    # Two logins of Bob (two refresh families); the newest family start is his last login.
    for days, family in (
        (1, "11111111-1111-1111-1111-111111111111"),
        (3, "22222222-2222-2222-2222-222222222222"),
    ):
        await db.execute(
            "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, token_version, "
            "issued_at, expires_at) VALUES (gen_random_uuid(), $1, $2, $3, 0, $4, $4)",
            family, bob.id, family.encode(), clock.now() - timedelta(days=days),
        )  # fmt: skip

    async def page(**query):
        resp = await client.get(f"{ADMIN_API}/users", params=query, headers=admin.headers)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    everyone = await page()
    assert [u["name"] for u in everyone["items"]] == ["Cid Lima", "Bob Stone", "Ana Lima"]
    by_name = {u["name"]: u for u in everyone["items"]}
    assert by_name["Ana Lima"]["courses"] == {"owned": 1, "teaching": 0, "enrolled": 0}
    assert by_name["Bob Stone"]["courses"] == {"owned": 0, "teaching": 0, "enrolled": 1}
    assert by_name["Bob Stone"]["last_login_at"] == "2026-01-04T09:00:00Z"  # a day ago
    assert by_name["Ana Lima"]["last_login_at"] is None
    assert [u["name"] for u in (await page(q="lima"))["items"]] == ["Cid Lima", "Ana Lima"]
    assert [u["name"] for u in (await page(q="BOB@"))["items"]] == ["Bob Stone"]
    assert [u["name"] for u in (await page(status="blocked"))["items"]] == ["Cid Lima"]
    start = clock.now().date()
    window = await page(registered_from=str(start - timedelta(days=2)),
                        registered_to=str(start - timedelta(days=2)))  # fmt: skip
    assert [u["id"] for u in window["items"]] == [str(bob.id)]
    first = await page(limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = await page(limit=2, cursor=first["next_cursor"])
    assert [u["id"] for u in rest["items"]] == [str(ana.id)] and rest["next_cursor"] is None


@pytest.mark.parametrize(
    "query", [{"status": "deleted"}, {"limit": "0"}, {"registered_from": "yesterday"},
              {"cursor": "not-a-cursor"}, {"extra": "1"}],
)  # fmt: skip
async def test_bad_list_queries_are_422(client, admins, query):
    admin = await admins.create()
    resp = await client.get(f"{ADMIN_API}/users", params=query, headers=admin.headers)
    assert resp.status == 422


async def test_reading_a_user_is_audited(client, admins, users, db):
    admin = await admins.create()
    ana = await users.create("Ana")
    await create_course(client, ana)
    resp = await client.get(f"{ADMIN_API}/users/{ana.id}", headers=admin.headers)
    assert resp.status == 200, await resp.text()
    detail = await resp.json()
    assert detail["course_list"][0]["role"] == "owner"
    assert detail["permissions"] == {
        "can_create_courses": True, "can_enroll": True, "can_post_forum": True
    }  # fmt: skip
    assert detail["block"] is None
    views = await audits(db, "user.view")
    assert [(v["target"], v["context"]["actor"]) for v in views] == [
        ({"kind": "user", "id": str(ana.id)}, {"kind": "admin", "id": str(admin.id)})
    ]
    missing = await client.get(f"{ADMIN_API}/users/{admin.id}", headers=admin.headers)
    assert missing.status == 404
    assert len(await audits(db, "user.view")) == 1


async def test_a_block_stops_every_token_at_once_and_unblock_lets_the_user_back(
    client, admins, app, db
):
    admin = await admins.create()
    data_dir = app[SETTINGS].data_dir
    session = await signup(client, data_dir, "eve@example.com", name="Eve")
    user_id = session["user"]["id"]
    assert (await client.get(f"{API}/users/me", headers=bearer(session))).status == 200
    resp = await client.post(
        f"{ADMIN_API}/users/{user_id}/block", json={"reason": "spam"}, headers=admin.headers
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["reason"] == "spam"
    me = await client.get(f"{API}/users/me", headers=bearer(session))
    assert me.status == 401 and (await me.json())["error"]["code"] == "account_blocked"
    refreshed = await client.post(
        f"{API}/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refreshed.status == 401
    denied = await client.post(
        f"{API}/auth/login", json={"email": "eve@example.com", "password": "correct horse battery"}
    )
    assert denied.status == 403 and (await denied.json())["error"]["code"] == "account_blocked"
    again = await client.post(
        f"{ADMIN_API}/users/{user_id}/block", json={"reason": "x"}, headers=admin.headers
    )
    assert again.status == 409
    [blocked] = await outbox.recorded(db, type="account.blocked")
    assert json.loads(blocked["data"]) == {"user_id": user_id, "reason": "spam", "until": None}
    assert blocked["streams"] == [f"user:{user_id}"]
    [audit] = await audits(db, "user.block")
    assert audit["target"] == {"kind": "user", "id": user_id}
    assert audit["changes"] == {
        "status": ["active", "blocked"], "reason": [None, "spam"], "until": [None, None]
    }  # fmt: skip

    assert (
        await client.post(f"{ADMIN_API}/users/{user_id}/unblock", headers=admin.headers)
    ).status == 204
    back = await login(client, "eve@example.com")
    assert (await client.get(f"{API}/users/me", headers=bearer(back))).status == 200
    assert (
        await client.post(f"{ADMIN_API}/users/{user_id}/unblock", headers=admin.headers)
    ).status == 409
    [unblocked] = await outbox.recorded(db, type="account.unblocked")
    assert json.loads(unblocked["data"])["reason"] == "lifted_by_admin"
    assert len(await audits(db, "user.unblock")) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, "validation_failed"), ({"reason": ""}, "validation_failed"),
     ({"reason": "x", "until": "2026-01-05T08:00:00+00:00"}, "until_in_past"),
     ({"reason": "x", "until": "2026-02-01T00:00:00"}, "validation_failed"),
     ({"reason": "x", "forever": True}, "validation_failed")],
)  # fmt: skip
async def test_bad_blocks_are_refused_and_change_nothing(client, admins, users, db, body, code):
    admin, user = await admins.create(), await users.create()
    resp = await client.post(f"{ADMIN_API}/users/{user.id}/block", json=body, headers=admin.headers)
    assert resp.status == 422 and (await resp.json())["error"]["code"] == code
    assert await db.fetchval("SELECT status FROM users WHERE id = $1", user.id) == "active"
    assert await outbox.recorded(db, type="account.blocked") == []
    assert (await client.get(f"{API}/users/me", headers=user.headers)).status == 200


async def test_a_block_with_an_end_lifts_itself(client, admins, users, db, clock):
    admin, user = await admins.create(), await users.create()
    until = clock.now() + timedelta(hours=1)
    resp = await client.post(
        f"{ADMIN_API}/users/{user.id}/block",
        json={"reason": "cool down", "until": until.isoformat()},
        headers=admin.headers,
    )
    assert resp.status == 200
    [blocked] = await outbox.recorded(db, type="account.blocked")
    assert json.loads(blocked["data"])["until"] == until.isoformat()
    clock.advance(timedelta(minutes=59))
    await _settle(client)
    assert await db.fetchval("SELECT status FROM users WHERE id = $1", user.id) == "blocked"
    clock.advance(timedelta(minutes=2))
    for _ in range(100):
        if await db.fetchval("SELECT status FROM users WHERE id = $1", user.id) == "active":
            break
        await _settle(client)
    assert await db.fetchval("SELECT status FROM users WHERE id = $1", user.id) == "active"
    [lifted] = await audits(db, "user.unblock")
    assert lifted["context"]["actor"] == {"kind": "system", "id": None}
    [unblocked] = await outbox.recorded(db, type="account.unblocked")
    assert json.loads(unblocked["data"])["reason"] == "block_expired"


async def _settle(client) -> None:
    await asyncio.sleep(0.1)  # a few rounds of the 0.05 s block loop


async def test_permissions_are_enforced_at_once(client, admins, users, db):
    admin, ana, bob = await admins.create(), await users.create(), await users.create()
    course = await create_course(client, ana)

    async def patch(user, **body):
        resp = await client.patch(
            f"{ADMIN_API}/users/{user.id}/permissions", json=body, headers=admin.headers
        )
        assert resp.status == 200, await resp.text()
        return await resp.json()

    assert await patch(ana, can_create_courses=False) == {
        "can_create_courses": False, "can_enroll": True, "can_post_forum": True
    }  # fmt: skip
    refused = await client.post(f"{API}/courses", json=course_body(), headers=ana.headers)
    assert refused.status == 403
    assert (await refused.json())["error"] == {
        "code": "permission_withdrawn",
        "message": "An administrator has withdrawn your permission to create courses.",
        "details": [{"permission": "can_create_courses"}],
    }
    await patch(bob, can_enroll=False, can_post_forum=False)
    no = await client.post(f"{API}/courses/{course['id']}/enrollments", headers=bob.headers)
    assert no.status == 403 and (await no.json())["error"]["code"] == "permission_withdrawn"
    await patch(bob, can_enroll=True)
    await enroll(client, bob, course["id"])
    await patch(ana, can_create_courses=True)
    await create_course(client, ana)
    changes = [
        (a["target"]["id"], a["changes"]) for a in await audits(db, "user.permissions_change")
    ]
    assert changes == [
        (str(ana.id), {"can_create_courses": [True, False]}),
        (str(bob.id), {"can_enroll": [True, False], "can_post_forum": [True, False]}),
        (str(bob.id), {"can_enroll": [False, True]}),
        (str(ana.id), {"can_create_courses": [False, True]}),
    ]


@pytest.mark.parametrize("body", [{}, {"can_enroll": None}, {"can_fly": True}, {"can_enroll": 3}])
async def test_bad_permission_changes_are_422(client, admins, users, db, body):
    admin, user = await admins.create(), await users.create()
    resp = await client.patch(
        f"{ADMIN_API}/users/{user.id}/permissions", json=body, headers=admin.headers
    )
    assert resp.status == 422
    assert await db.fetchval("SELECT count(*) FROM user_permissions") == 0


async def test_blocked_users_and_rule_audiences_are_notified(client, admins, users, db, mongo):
    """The events carry what the notifications consumer needs: the blocked user gets an email,
    and a rule for students reaches the students."""
    admin, user, owner = await admins.create(), await users.create(), await users.create()
    student = await users.create()
    course = await create_course(client, owner)
    await enroll(client, student, course["id"])
    await client.post(
        f"{ADMIN_API}/users/{user.id}/block", json={"reason": "spam"}, headers=admin.headers
    )
    rule = {
        "title": "Be kind",
        "description": "No insults.",
        "effective_from": "2026-03-01T00:00:00Z",
        "conditions": {"applies_to": "students"},
    }
    assert (await client.post(f"{ADMIN_API}/rules", json=rule, headers=admin.headers)).status == 201
    await settled(db)
    blocked = await mongo.notification_deliveries.find_one({"type": "account.blocked"})
    assert blocked["user_id"] == str(user.id) and blocked["channel"] == "email"
    assert "spam" in blocked["body"]
    told = {
        d["user_id"] async for d in mongo.notification_deliveries.find({"type": "rule.published"})
    }
    assert told == {str(student.id)}
