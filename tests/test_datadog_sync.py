"""`classconnect datadog-sync`: config/datadog/ applied to a local Datadog API through the real
`datadog-api-client`, notifying the active admins (from Mongo) plus the configured extras."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.domain.datadog_plan import MANAGED_TAG, Change
from server.services.datadog_sync import load_config, sync_datadog
from server.settings import Settings
from server.stores.datadog_api import DatadogApi
from tests.fakes.datadog_api import API_KEY, APP_KEY

ROOT = Path(__file__).parent.parent
CONFIG = ROOT / "config" / "datadog"
MONITORS, DASHBOARDS = (len(part) for part in load_config(CONFIG))


@pytest.fixture
async def admins(mongo):
    await mongo.admins.insert_many([
        {"_id": "a1", "email": "Ana@Example.com", "name": "Ana", "status": "active"},
        {"_id": "a2", "email": "bob@example.com", "name": "Bob", "status": "active"},
        {"_id": "a3", "email": "gone@example.com", "name": "Gone", "status": "removed"},
    ])  # fmt: skip
    return mongo.admins


def api_for(fake) -> DatadogApi:
    return DatadogApi(api_key=API_KEY, app_key=APP_KEY, url=fake.url)


async def sync(mongo, fake, *, extra=("@slack-ops",), dry_run=False):
    return await sync_datadog(db=mongo, api=api_for(fake), config_dir=CONFIG,
                              extra_targets=list(extra), dry_run=dry_run)  # fmt: skip


def changes(actions) -> list[tuple[str, str]]:
    return [(a.kind.value, a.change.value) for a in actions if a.change is not Change.unchanged]


async def test_first_sync_creates_everything_and_a_second_changes_nothing(
    mongo, admins, datadog_api
):
    created = await sync(mongo, datadog_api)
    assert {a.change for a in created} == {Change.create}
    assert len(datadog_api.monitors) == MONITORS and len(datadog_api.dashboards) == DASHBOARDS
    for monitor in datadog_api.monitors.values():
        assert MANAGED_TAG in monitor["tags"]
        assert monitor["message"].endswith(
            "Notify: @ana@example.com @bob@example.com @slack-ops"
        ), monitor["message"]
        assert "gone@example.com" not in monitor["message"]
    writes = len(datadog_api.writes)

    again = await sync(mongo, datadog_api)
    assert changes(again) == [] and len(again) == MONITORS + DASHBOARDS
    assert len(datadog_api.writes) == writes  # nothing was sent


async def test_the_seed_cpu_monitor_emails_the_admins(mongo, admins, datadog_api):
    await sync(mongo, datadog_api, extra=())
    [cpu] = [m for m in datadog_api.monitors.values() if "cc-sync:node-cpu" in m["tags"]]
    assert cpu["query"].startswith("avg(last_5m):100 - avg:system.cpu.idle{")
    assert cpu["query"].endswith("> 80") and cpu["options"]["thresholds"]["critical"] == 80
    assert cpu["message"].endswith("Notify: @ana@example.com @bob@example.com")
    watched = " ".join(m["query"] for m in datadog_api.monitors.values())
    assert "classconnect.notifications.deliveries.dead" in watched
    assert "classconnect.audit.verify.broken" in watched
    assert "@slack" not in json.dumps(list(datadog_api.monitors.values()))


async def test_admin_changes_update_only_the_monitors_recipients(mongo, admins, datadog_api):
    await sync(mongo, datadog_api)
    await admins.update_one({"_id": "a2"}, {"$set": {"status": "removed"}})
    await admins.insert_one({"_id": "a4", "email": "cy@example.com", "status": "active"})
    writes = len(datadog_api.writes)

    planned = await sync(mongo, datadog_api, dry_run=True)
    assert changes(planned) == [("monitor", "update")] * MONITORS
    assert len(datadog_api.writes) == writes  # a dry run writes nothing

    await sync(mongo, datadog_api)
    assert len(datadog_api.writes) == writes + MONITORS
    assert all(m["message"].endswith("Notify: @ana@example.com @cy@example.com @slack-ops")
               for m in datadog_api.monitors.values())  # fmt: skip
    assert changes(await sync(mongo, datadog_api)) == []


async def test_an_edit_made_in_datadog_is_put_back(mongo, admins, datadog_api):
    await sync(mongo, datadog_api)
    monitor = next(iter(datadog_api.monitors.values()))
    monitor["options"]["thresholds"] = {"critical": 99999}
    monitor["query"] = monitor["query"].rsplit(">", 1)[0] + "> 99999"
    [dashboard] = datadog_api.dashboards.values()
    dashboard["widgets"].pop()
    assert sorted(changes(await sync(mongo, datadog_api))) == [
        ("dashboard", "update"), ("monitor", "update"),
    ]  # fmt: skip
    assert changes(await sync(mongo, datadog_api)) == []
    assert len(datadog_api.dashboards) == DASHBOARDS  # matched by key, never duplicated


async def test_wrong_keys_are_refused_before_anything_is_written(mongo, admins, datadog_api):
    api = DatadogApi(api_key="wrong", app_key=APP_KEY, url=datadog_api.url)
    with pytest.raises(Exception, match="403"):
        await sync_datadog(db=mongo, api=api, config_dir=CONFIG, extra_targets=[])
    assert datadog_api.monitors == {}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "server.cli", "datadog-sync", *args]
    return subprocess.run(command, env={**os.environ, **env}, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


async def test_the_command_prints_its_plan_and_applies_it(
    mongo_url, mongo_database, admins, datadog_api, tmp_path
):
    env = {"DD_API_KEY": API_KEY, "DD_APP_KEY": APP_KEY, "DATADOG_API_URL": datadog_api.url,
           "MONGODB_URL": mongo_url, "MONGODB_DATABASE": mongo_database,
           "DATADOG_NOTIFY_EXTRA": '["@slack-ops"]', "DATA_DIR": str(tmp_path)}  # fmt: skip
    total = MONITORS + DASHBOARDS
    dry = await asyncio.to_thread(cli, env, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would change {total} of {total}" in dry.stdout
    assert "create    monitor   node-cpu" in dry.stdout and datadog_api.writes == []

    first = await asyncio.to_thread(cli, env)
    assert first.returncode == 0 and f"changed {total} of {total}" in first.stdout
    second = await asyncio.to_thread(cli, env)
    assert second.returncode == 0 and f"changed 0 of {total}" in second.stdout
    assert len(datadog_api.writes) == total

    missing = await asyncio.to_thread(cli, {**env, "DD_APP_KEY": ""})
    assert missing.returncode == 2 and "DD_API_KEY and DD_APP_KEY" in missing.stderr


def test_every_configured_resource_converts_to_the_clients_models():
    api = DatadogApi(api_key="k", app_key="a", url="http://127.0.0.1:9")
    from datadog_api_client.v1.model.dashboard import Dashboard
    from datadog_api_client.v1.model.monitor import Monitor

    monitors, dashboards = load_config(CONFIG)
    for monitor in monitors:
        assert api._model(monitor, Monitor).name == monitor["name"]
    for dashboard in dashboards.values():
        assert api._model(dashboard, Dashboard).title == dashboard["title"]
    assert Settings(_env_file=None).datadog_config_dir == Path("config/datadog")  # type: ignore[call-arg]
