"""A teacher connected when they create a course joins its rooms at once, and hears it from its
first event even when that event was relayed before the rooms were joined. The relay is driven
by hand here, so "before" is certain rather than a race."""

from __future__ import annotations

import asyncio

import pytest

from server.keys import CLOCK, MONGO_DB, PG_POOL, REALTIME_HUB, SETTINGS, SOCKETIO
from server.realtime.relay import publisher
from server.services.relay import relay_batch
from server.settings import Settings
from tests.assignment_helpers import create_assignment
from tests.course_helpers import create_course, enroll


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_relay_enabled = False
    return settings


async def relay(app) -> None:
    """One relay batch: everything recorded so far is appended and published together."""
    publish = publisher(app[SOCKETIO], queue_limit=app[SETTINGS].realtime_socket_queue_limit)
    await relay_batch(
        pool=app[PG_POOL], db=app[MONGO_DB], clock=app[CLOCK], limit=500, publish=publish
    )


async def test_a_teacher_joins_the_rooms_of_a_course_they_create(client, sockets, users):
    teacher, student = await users.create("Tess Teacher"), await users.create("Sam Student")
    rec = await sockets().connect(teacher.token)
    course_id = (await create_course(client, teacher))["id"]
    await relay(client.app)
    (rooms,) = await rec.wait_for("session.rooms")
    assert rooms == {"joined": [f"course:{course_id}", f"course:{course_id}:staff"], "left": []}
    await enroll(client, student, course_id)
    await create_assignment(client, teacher, course_id)
    await relay(client.app)
    (enrolled,) = await rec.wait_for("enrollment.created")
    assert enrolled["stream"] == f"course:{course_id}:staff"
    assert enrolled["data"]["user_id"] == str(student.id)
    (created,) = await rec.wait_for("assignment.created")
    assert created["stream"] == f"course:{course_id}:staff"
    (state,) = client.app[REALTIME_HUB].of_user(teacher.id)
    assert {f"course:{course_id}", f"course:{course_id}:staff"} <= state.streams


async def test_events_relayed_before_the_rooms_were_joined_are_replayed(client, sockets, users):
    teacher, student = await users.create("Tess Teacher"), await users.create("Sam Student")
    rec = await sockets().connect(teacher.token)
    course_id = (await create_course(client, teacher))["id"]
    await enroll(client, student, course_id)
    await relay(client.app)  # one batch: the enrolment is published before the join
    await rec.wait_for("session.rooms")
    (enrolled,) = await rec.wait_for("enrollment.created")
    assert (enrolled["stream"], enrolled["seq"]) == (f"course:{course_id}:staff", 1)
    await asyncio.sleep(0.2)
    assert len(rec.of("enrollment.created")) == 1
