"""The unit of work: a change, its events and its audit records commit together, stamped with
who acted and from where; a failure writes none of them; an unaudited change can't commit."""

from __future__ import annotations

import json
import uuid

import pytest

from server.domain.context import user_context
from server.domain.events import event as make_event
from server.domain.events import user_stream
from server.keys import CLOCK, MONGO_DB, PG_POOL
from server.services.relay import relay_batch
from server.services.unit_of_work import UnauditedMutation, unit_of_work
from server.settings import Settings
from server.stores import outbox
from tests.course_helpers import API, create_course


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_relay_enabled = False  # the tests drive the relay
    return settings


async def test_a_mutation_commits_its_events_and_audit_with_the_request_context(client, users, db):
    owner = await users.create(email="owner@example.com")
    student = await users.create(email="student@example.com")
    course = await create_course(client, owner)
    resp = await client.post(
        f"{API}/courses/{course['id']}/enrollments",
        headers={**student.headers, "X-Request-ID": "req-enroll-1"},
    )
    assert resp.status == 201, await resp.text()

    rows = [r for r in await outbox.recorded(db) if json.loads(r["context"] or "null")]
    enroll_rows = [r for r in rows if json.loads(r["context"])["request_id"] == "req-enroll-1"]
    assert {r["type"] for r in enroll_rows} == {"enrollment.created", "audit.recorded"}
    for row in enroll_rows:
        ctx = json.loads(row["context"])
        assert ctx["actor"] == {"kind": "user", "id": str(student.id)}
        assert ctx["ip"] == "127.0.0.1"
    audit = json.loads(next(r for r in enroll_rows if r["type"] == "audit.recorded")["data"])
    assert audit["action"] == "enrollment.create"
    assert audit["target"] == {"kind": "enrollment", "id": f"{course['id']}:{student.id}"}


async def test_a_refused_mutation_records_nothing(client, users, db):
    owner = await users.create(email="owner@example.com")
    student = await users.create(email="student@example.com")
    course = await create_course(client, owner)
    first = await client.post(f"{API}/courses/{course['id']}/enrollments", headers=student.headers)
    assert first.status == 201
    before = len(await outbox.recorded(db))
    again = await client.post(f"{API}/courses/{course['id']}/enrollments", headers=student.headers)
    assert again.status == 409
    assert len(await outbox.recorded(db)) == before


async def test_an_unaudited_unit_of_work_refuses_to_commit(client, app, db):
    ctx = user_context(uuid.uuid4())
    with pytest.raises(UnauditedMutation):
        async with unit_of_work(pool=app[PG_POOL], clock=app[CLOCK], context=ctx) as uow:
            uow.record(make_event("probe", user_stream(ctx.actor_id), at=uow.now))
    assert await outbox.recorded(db, type="probe") == []


async def test_the_relay_stamps_relay_seq_in_recording_order_across_batches(client, app, db):
    ctx = user_context(uuid.uuid4())
    for i in range(5):
        async with unit_of_work(pool=app[PG_POOL], clock=app[CLOCK], context=ctx) as uow:
            uow.record(make_event("probe", user_stream(ctx.actor_id), at=uow.now, i=i))
            uow.audit("probe.make", target=("probe", str(i)))

    async def publish(envelopes):
        pass

    args = dict(pool=app[PG_POOL], db=app[MONGO_DB], clock=app[CLOCK], publish=publish)
    while await relay_batch(**args, limit=3):
        pass
    rows = await db.fetch("SELECT position, relay_seq FROM outbox ORDER BY position")
    assert [r["relay_seq"] for r in rows] == list(range(1, 11))
