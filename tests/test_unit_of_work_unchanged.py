"""A unit of work that says it changed nothing is rolled back: it needs no audit, and nothing
it wrote can commit unaudited."""

from __future__ import annotations

import json
import uuid

import pytest

from server.domain.context import anonymous_context, user_context
from server.domain.events import event, user_stream
from server.keys import CLOCK, PG_POOL
from server.services.unit_of_work import unit_of_work
from server.stores import outbox


async def test_an_unchanged_unit_rolls_back_what_it_wrote(client, app, users, db):
    user = await users.create("Ana")
    ctx = user_context(user.id)
    async with unit_of_work(pool=app[PG_POOL], clock=app[CLOCK], context=ctx) as uow:
        await uow.conn.execute("UPDATE users SET name = 'Changed' WHERE id = $1", user.id)
        uow.unchanged()
    assert await db.fetchval("SELECT name FROM users WHERE id = $1", user.id) == "Ana"
    assert await outbox.recorded(db) == []


async def test_a_unit_that_recorded_something_cannot_claim_it_changed_nothing(client, app, db):
    ctx = user_context(uuid.uuid4())
    with pytest.raises(RuntimeError):
        async with unit_of_work(pool=app[PG_POOL], clock=app[CLOCK], context=ctx) as uow:
            uow.record(event("probe", user_stream(ctx.actor_id), at=uow.now))
            uow.unchanged()
    assert await outbox.recorded(db) == []


async def test_identify_stamps_every_row_with_the_proven_user(client, app, db):
    uid = uuid.uuid4()
    ctx = anonymous_context(ip="10.1.2.3", request_id="r1")
    async with unit_of_work(pool=app[PG_POOL], clock=app[CLOCK], context=ctx) as uow:
        uow.audit("probe.make", target=("probe", "1"))
        uow.identify(uid)
    [row] = await outbox.recorded(db)
    assert json.loads(row["context"]) == {
        "actor": {"kind": "user", "id": str(uid)},
        "ip": "10.1.2.3",
        "request_id": "r1",
    }
