"""Platform rules over HTTP: publishing (future effective date), versions on every change,
deletion, users reading and accepting the current version, counts per version for admins, and
the events and audit records each change commits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from server.stores import outbox
from tests.admin_helpers import ADMIN_API
from tests.course_helpers import API

LATER = "2026-02-01T00:00:00+00:00"  # the ManualClock starts on 2026-01-05


def rule_body(**overrides) -> dict:
    return {
        "title": "Be kind",
        "description": "No insults in forums or feedback.",
        "effective_from": LATER,
        "conditions": {"applies_to": "students"},
        **overrides,
    }


async def audits(db, action: str) -> list[dict]:
    out = []
    for row in await outbox.recorded(db, type="audit.recorded"):
        data = json.loads(row["data"])
        if data["action"] == action:
            out.append({**data, "actor": json.loads(row["context"])["actor"]})
    return out


async def publish(client, admin, **overrides) -> dict:
    resp = await client.post(f"{ADMIN_API}/rules", json=rule_body(**overrides),
                             headers=admin.headers)  # fmt: skip
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_publishing_a_rule_announces_it(client, admins, db, mongo):
    admin = await admins.create()
    rule = await publish(client, admin)
    assert rule["version"] == 1 and rule["in_force"] is False
    assert rule["conditions"] == {"applies_to": "students"}
    [published] = await outbox.recorded(db, type="rule.published")
    assert published["streams"] == ["global"]
    assert json.loads(published["data"]) == {
        "rule_id": rule["id"], "version": 1, "title": "Be kind", "applies_to": "students"
    }  # fmt: skip
    [created] = await audits(db, "rule.create")
    assert created["target"] == {"kind": "rule", "id": rule["id"]}
    assert created["actor"] == {"kind": "admin", "id": str(admin.id)}
    assert created["changes"]["title"] == [None, "Be kind"]
    assert created["changes"]["effective_from"] == [None, LATER]
    got = await client.get(f"{ADMIN_API}/rules/{rule['id']}", headers=admin.headers)
    assert (await got.json())["title"] == "Be kind"
    assert await mongo["admin_intents"].count_documents({}) == 0


@pytest.mark.parametrize(
    ("overrides", "code"),
    [({"effective_from": "2026-01-05T08:59:00+00:00"}, "effective_from_in_past"),
     ({"effective_from": "2026-01-05T09:00:00+00:00"}, "effective_from_in_past"),
     ({"effective_from": "2026-02-01T00:00:00"}, "validation_failed"),
     ({"title": ""}, "validation_failed"),
     ({"conditions": {"applies_to": "parents"}}, "validation_failed"),
     ({"extra": 1}, "validation_failed")],
)  # fmt: skip
async def test_bad_rules_are_422_and_write_nothing(client, admins, db, mongo, overrides, code):
    admin = await admins.create()
    resp = await client.post(f"{ADMIN_API}/rules", json=rule_body(**overrides),
                             headers=admin.headers)  # fmt: skip
    assert resp.status == 422 and (await resp.json())["error"]["code"] == code
    assert await mongo["rules"].count_documents({}) == 0
    assert await outbox.recorded(db, type="rule.published") == []


async def test_a_change_makes_a_new_version_and_publishes_it_again(client, admins, db):
    admin = await admins.create()
    rule = await publish(client, admin)
    url = f"{ADMIN_API}/rules/{rule['id']}"
    resp = await client.patch(url, json={"title": "Be kinder"}, headers=admin.headers)
    assert resp.status == 200, await resp.text()
    changed = await resp.json()
    assert changed["version"] == 2 and changed["title"] == "Be kinder"
    assert changed["description"] == rule["description"]
    past = await client.patch(url, json={"effective_from": "2026-01-01T00:00:00+00:00"},
                              headers=admin.headers)  # fmt: skip
    assert past.status == 422
    for body in ({}, {"title": None}):
        assert (await client.patch(url, json=body, headers=admin.headers)).status == 422
    versions = await (await client.get(f"{url}/versions", headers=admin.headers)).json()
    assert [(v["version"], v["title"]) for v in versions["items"]] == [
        (1, "Be kind"), (2, "Be kinder")
    ]  # fmt: skip
    assert [json.loads(r["data"])["version"] for r in
            await outbox.recorded(db, type="rule.published")] == [1, 2]  # fmt: skip
    [updated] = await audits(db, "rule.update")
    assert updated["changes"] == {"title": ["Be kind", "Be kinder"], "version": [1, 2]}
    unknown = f"{ADMIN_API}/rules/00000000-0000-0000-0000-000000000000"
    assert (await client.patch(unknown, json={"title": "x"}, headers=admin.headers)).status == 404


async def test_deleting_a_rule_withdraws_it(client, admins, users, db):
    admin, user = await admins.create(), await users.create()
    rule = await publish(client, admin)
    url = f"{ADMIN_API}/rules/{rule['id']}"
    assert (await client.delete(url, headers=admin.headers)).status == 204
    assert (await client.get(url, headers=admin.headers)).status == 404
    assert (await client.delete(url, headers=admin.headers)).status == 404
    assert (await (await client.get(f"{ADMIN_API}/rules", headers=admin.headers)).json()) == {
        "items": []
    }
    assert (await (await client.get(f"{API}/rules", headers=user.headers)).json()) == {"items": []}
    [deleted] = await outbox.recorded(db, type="rule.deleted")
    assert json.loads(deleted["data"]) == {"rule_id": rule["id"]}
    assert len(await audits(db, "rule.delete")) == 1


async def test_users_read_and_accept_rules_and_admins_count_acceptances(
    client, admins, users, db, clock
):
    admin = await admins.create()
    ana, bob = await users.create(), await users.create()
    rule = await publish(client, admin)
    mine = await (await client.get(f"{API}/rules", headers=ana.headers)).json()
    assert [(r["id"], r["version"], r["in_force"], r["accepted_version"])
            for r in mine["items"]] == [(rule["id"], 1, False, None)]  # fmt: skip
    accept = f"{API}/rules/{rule['id']}/accept"
    for user in (ana, bob):
        resp = await client.post(accept, json={"version": 1}, headers=user.headers)
        assert resp.status == 200, await resp.text()
    await client.patch(f"{ADMIN_API}/rules/{rule['id']}", json={"description": "Be nice."},
                       headers=admin.headers)  # fmt: skip
    stale = await client.post(accept, json={"version": 1}, headers=ana.headers)
    assert stale.status == 409
    assert (await stale.json())["error"]["details"] == [{"current_version": 2}]
    assert (await client.post(accept, json={"version": 2}, headers=ana.headers)).status == 200
    listed = await (await client.get(f"{ADMIN_API}/rules", headers=admin.headers)).json()
    assert listed["items"][0]["acceptances"] == {"1": 2, "2": 1}
    versions = await (
        await client.get(f"{ADMIN_API}/rules/{rule['id']}/versions", headers=admin.headers)
    ).json()
    assert [v["acceptances"] for v in versions["items"]] == [2, 1]
    clock.advance(timedelta(days=30))  # in force now (and a fresh token: the old expired)
    fresh = users.token(ana.id)
    mine = await (
        await client.get(f"{API}/rules", headers={"Authorization": f"Bearer {fresh}"})
    ).json()
    assert [(r["in_force"], r["accepted_version"]) for r in mine["items"]] == [(True, 2)]
    accepted = await audits(db, "rule.accept")
    assert [(a["actor"]["id"], a["changes"]["version"]) for a in accepted] == [
        (str(ana.id), [None, 1]), (str(bob.id), [None, 1]), (str(ana.id), [1, 2])
    ]  # fmt: skip


@pytest.mark.parametrize("body", [{}, {"version": 0}, {"version": "one"}, {"version": 1, "x": 1}])
async def test_bad_acceptances_are_422(client, admins, users, mongo, body):
    admin, user = await admins.create(), await users.create()
    rule = await publish(client, admin)
    resp = await client.post(f"{API}/rules/{rule['id']}/accept", json=body, headers=user.headers)
    assert resp.status == 422
    assert await mongo["rule_acceptances"].count_documents({}) == 0


async def test_rules_are_refused_across_realms(client, admins, users):
    admin, user = await admins.create(), await users.create()
    rule = await publish(client, admin)
    resp = await client.post(f"{ADMIN_API}/rules", json=rule_body(), headers=user.headers)
    assert resp.status == 403
    resp = await client.post(f"{API}/rules/{rule['id']}/accept", json={"version": 1},
                             headers=admin.headers)  # fmt: skip
    assert resp.status == 401
    unknown = f"{API}/rules/00000000-0000-0000-0000-000000000000/accept"
    assert (await client.post(unknown, json={"version": 1}, headers=user.headers)).status == 404
