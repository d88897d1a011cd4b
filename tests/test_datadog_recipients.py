"""The monitors' recipients follow the admins: creating or removing an admin through REST
re-syncs the local Datadog API through the durable `datadog_recipients` consumer, also when
Datadog was down at the time of the change."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from server.settings import Settings
from tests.fakes.datadog_api import API_KEY, APP_KEY, FakeDatadog
from tests.test_datadog_sync import CONFIG, MONITORS

ADMIN_API = "/api/v1/admin"


@pytest.fixture
def settings(settings: Settings, datadog_api: FakeDatadog) -> Settings:
    settings.dd_api_key, settings.dd_app_key = SecretStr(API_KEY), SecretStr(APP_KEY)
    settings.datadog_api_url = datadog_api.url
    settings.datadog_config_dir = CONFIG
    settings.datadog_notify_extra = ["@slack-ops"]
    settings.consumers_enabled = True
    settings.consumer_poll_seconds = 0.1
    settings.realtime_relay_poll_seconds = 0.1
    return settings


def notified(fake: FakeDatadog) -> set[str]:
    """Who every monitor notifies, once all exist with the same list (else the empty set)."""
    if len(fake.monitors) < MONITORS:
        return set()
    lists = {m["message"].rsplit("Notify: ", 1)[-1] for m in fake.monitors.values()}
    return set(lists.pop().split()) if len(lists) == 1 else set()


async def test_a_new_admin_is_paged_and_a_removed_one_no_longer(client, admins, datadog_api):
    first = await admins.create("Ada", email="ada@example.com")
    await datadog_api.until(lambda: notified(datadog_api) == {"@ada@example.com", "@slack-ops"})

    body = {"email": "Bea@Example.com", "name": "Bea", "password": "a long admin passphrase 1"}
    resp = await client.post(f"{ADMIN_API}/admins", json=body, headers=first.headers)
    assert resp.status == 201, await resp.text()
    bea = (await resp.json())["id"]
    both = {"@ada@example.com", "@bea@example.com", "@slack-ops"}
    await datadog_api.until(lambda: notified(datadog_api) == both)

    gone = await client.delete(f"{ADMIN_API}/admins/{bea}", headers=first.headers)
    assert gone.status == 204
    await datadog_api.until(lambda: notified(datadog_api) == {"@ada@example.com", "@slack-ops"})


async def test_a_change_made_while_datadog_is_down_reaches_it_later(client, admins, datadog_api):
    first = await admins.create("Ada", email="ada@example.com")
    await datadog_api.until(lambda: notified(datadog_api) == {"@ada@example.com", "@slack-ops"})
    writes = len(datadog_api.writes)

    datadog_api.down = True
    body = {"email": "cy@example.com", "name": "Cy", "password": "a long admin passphrase 1"}
    resp = await client.post(f"{ADMIN_API}/admins", json=body, headers=first.headers)
    assert resp.status == 201  # the outage never fails the admin change
    await datadog_api.until(lambda: datadog_api.refused > 0)  # the consumer tried, and will again
    assert len(datadog_api.writes) == writes

    datadog_api.down = False
    await datadog_api.until(lambda: "@cy@example.com" in notified(datadog_api))
