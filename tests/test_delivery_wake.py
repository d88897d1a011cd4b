"""What the notifications consumer queues is sent at once: it wakes the delivery worker when its
batch commits, so an email doesn't wait for the worker's next poll (an hour here)."""

from __future__ import annotations

import asyncio

import pytest

from tests.course_helpers import create_course, enroll
from tests.delivery_helpers import with_providers
from tests.fakes.brevo import FakeBrevo


@pytest.fixture
def settings(settings, brevo: FakeBrevo):
    settings.consumers_enabled = True
    settings.consumer_poll_seconds = 0.1
    settings.realtime_relay_poll_seconds = 0.2
    return with_providers(settings, brevo=brevo, poll_seconds=3600)


async def test_an_enrollment_email_goes_out_without_waiting_for_a_poll(client, users, brevo):
    owner, student = await users.create("Owner"), await users.create("Ana")
    course = await create_course(client, owner)
    await enroll(client, student, course["id"])
    async with asyncio.timeout(15):
        while True:  # the fake only records; the wait is for the worker's HTTP call
            if brevo.delivered:
                break
            await asyncio.sleep(0.05)
    [message] = brevo.delivered
    assert message["to"] == student.email
    assert brevo.accepted[0]["tags"] == ["enrollment.created"]
