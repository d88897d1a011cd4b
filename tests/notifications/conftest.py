"""Notifications run end to end: REST causes an event, the relay and the notifications consumer
run in the app as in production (fast polls), and real Socket.IO clients listen."""

from __future__ import annotations

import pytest

from server.keys import DELIVERY_WORKER
from server.settings import Settings
from tests.realtime.conftest import sockets  # noqa: F401 (a fixture, used by name)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime_relay_poll_seconds = 0.5
    settings.realtime_auth_sweep_seconds = 0.1
    settings.consumers_enabled = True
    settings.consumer_poll_seconds = 0.1
    return settings


@pytest.fixture(autouse=True)
async def no_delivery_worker(client) -> None:
    """These tests check what the consumer plans (a delivery per channel, "queued" or "held");
    the delivery worker's own tests send them. Stopped at once (its first claim, at start,
    finds nothing), it neither polls nor answers the consumer's wake-ups, so a delivery here is
    never caught "sending"."""
    await client.app[DELIVERY_WORKER].stop()
