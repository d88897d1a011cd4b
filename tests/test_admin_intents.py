"""Mongo-side admin changes commit with their event and audit: a rolled-back change leaves
nothing in Mongo, and a change whose process died between commit and apply is finished by the
next change under the same key or by the periodic settler."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from server.domain.context import SYSTEM
from server.domain.events import event
from server.keys import CLOCK, MONGO_DB, PG_POOL
from server.services.admin_intents import mongo_change, settle_stale
from server.stores import admin_intents, outbox
from server.stores.admin_accounts import apply_create
from server.stores.admin_rules import apply_put
from tests.admin_helpers import ADMIN_API


class Boom(RuntimeError):
    pass


def admin_doc(email: str, now) -> dict:
    return {
        "_id": str(uuid.uuid4()),
        "email": email,
        "name": "Ghost",
        "status": "active",
        "password_hash": "x",
        "token_version": 0,
        "created_at": now,
        "created_by": None,
    }


async def test_a_rolled_back_change_leaves_nothing_in_mongo(client, app, mongo, db):
    now = app[CLOCK].now()
    doc = admin_doc("ghost@example.com", now)
    with pytest.raises(Boom):
        async with mongo_change(pool=app[PG_POOL], clock=app[CLOCK], context=SYSTEM,
                                db=app[MONGO_DB], key="admins") as change:  # fmt: skip
            await change.stage("admin.create", doc, event("admin.created", "admins", at=now))
            change.uow.audit("admin.create", target=("admin", doc["_id"]))
            assert await mongo.admin_intents.count_documents({}) == 1
            raise Boom
    assert await mongo.admin_intents.count_documents({}) == 0
    assert await mongo.admins.count_documents({}) == 0
    assert await outbox.recorded(db) == []


async def _committed_but_not_applied(app, db, doc) -> None:
    """What a process leaves when it dies right after its commit: the intent and the event."""
    created = event("admin.created", "admins", at=app[CLOCK].now(), admin_id=doc["_id"])
    await admin_intents.stage(app[MONGO_DB], event_id=created.id, key="admins",
                              kind="admin.create", payload=doc, at=app[CLOCK].now())  # fmt: skip
    async with db.transaction():
        await outbox.append(db, [created])


async def test_the_next_change_under_the_key_finishes_a_dead_process_work(
    client, app, admins, mongo, db
):
    admin = await admins.create()
    await _committed_but_not_applied(app, db, admin_doc("ghost@example.com", app[CLOCK].now()))
    assert await mongo.admins.count_documents({"email": "ghost@example.com"}) == 0
    body = {"email": "ghost@example.com", "name": "Again", "password": "a long passphrase"}
    resp = await client.post(f"{ADMIN_API}/admins", json=body, headers=admin.headers)
    assert resp.status == 409  # the settled change came first: the email is taken
    assert await mongo.admins.count_documents({"email": "ghost@example.com"}) == 1
    assert await mongo.admin_intents.count_documents({}) == 0


async def test_the_settler_applies_committed_and_drops_abandoned_intents(client, app, mongo, db):
    now = app[CLOCK].now()
    committed = admin_doc("kept@example.com", now)
    await _committed_but_not_applied(app, db, committed)
    abandoned = admin_doc("lost@example.com", now)
    await admin_intents.stage(app[MONGO_DB], event_id=uuid.uuid4(), key="admins",
                              kind="admin.create", payload=abandoned, at=now)  # fmt: skip
    fresh = await settle_stale(pool=app[PG_POOL], db=app[MONGO_DB], before=now)
    assert fresh == 0  # nothing is older than `before` yet: a live change may own it
    settled = await settle_stale(
        pool=app[PG_POOL], db=app[MONGO_DB], before=now + timedelta(seconds=1)
    )
    assert settled == 2
    assert [d["email"] async for d in mongo.admins.find({})] == ["kept@example.com"]
    assert await mongo.admin_intents.count_documents({}) == 0
    # Applying again (a late request finishing its own apply) changes nothing.
    await apply_create(app[MONGO_DB], committed)
    assert await mongo.admins.count_documents({}) == 1


async def test_a_late_rule_apply_never_moves_a_rule_back(client, app, admins, mongo):
    admin = await admins.create()
    body = {"title": "v1", "description": "d", "effective_from": "2026-03-01T00:00:00Z"}
    rule = await (await client.post(f"{ADMIN_API}/rules", json=body, headers=admin.headers)).json()
    await client.patch(f"{ADMIN_API}/rules/{rule['id']}", json={"title": "v2"},
                       headers=admin.headers)  # fmt: skip
    v1 = await mongo.rule_versions.find_one({"_id": f"{rule['id']}:1"})
    stale = {**(await mongo.rules.find_one({"_id": rule["id"]})), "version": 1, "title": "v1"}
    await apply_put(app[MONGO_DB], stale)
    assert (await mongo.rules.find_one({"_id": rule["id"]}))["title"] == "v2"
    assert v1["title"] == "v1"
