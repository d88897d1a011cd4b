"""Datadog as code: make the monitors and dashboards under config/datadog/ exist in Datadog as
written, each monitor notifying every active admin plus DATADOG_NOTIFY_EXTRA.

`classconnect datadog-sync [--dry-run]` runs it by hand or from a deploy pipeline; with both keys
configured, a durable consumer re-syncs after an admin is created or removed
(server/services/datadog_recipients.py), so the monitors' recipients follow the admin list (the
original team's Google group, kept up to date by code).
Running it twice changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.datadog_plan import (
    Action,
    Change,
    Kind,
    desired_dashboard,
    desired_monitor,
    monitor_key,
    notify_handles,
    plan,
)
from server.settings import Settings
from server.stores.admin_contacts import active_admin_emails
from server.stores.datadog_api import DatadogApi

log = logging.getLogger("classconnect.datadog")


def load_config(config_dir: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every `*.json` under config_dir: a list is monitors, an object a dashboard keyed by the
    file's name."""
    monitors: list[dict[str, Any]] = []
    dashboards: dict[str, dict[str, Any]] = {}
    for path in sorted(config_dir.glob("*.json")):
        content = json.loads(path.read_text())
        if isinstance(content, list):
            monitors.extend(content)
        else:
            dashboards[path.stem] = content
    return monitors, dashboards


async def sync_datadog(
    *,
    db: AsyncDatabase,
    api: DatadogApi,
    config_dir: Path,
    extra_targets: list[str],
    dry_run: bool = False,
) -> list[Action]:
    """Create or update every configured monitor and dashboard; returns the plan it carried out
    (or, with dry_run, would carry out)."""
    monitors, dashboards = load_config(config_dir)
    handles = notify_handles(await active_admin_emails(db), extra_targets)
    if not handles:
        log.warning("no active admin and no DATADOG_NOTIFY_EXTRA: monitors notify no one")
    wanted_monitors = {monitor_key(m): desired_monitor(m, handles) for m in monitors}
    if len(wanted_monitors) != len(monitors):
        raise ValueError(f"two monitors under {config_dir} share a cc-sync key")
    wanted_dashboards = {key: desired_dashboard(d, key) for key, d in dashboards.items()}
    remote_monitors, remote_dashboards = await asyncio.gather(
        asyncio.to_thread(api.managed_monitors), asyncio.to_thread(api.managed_dashboards)
    )
    actions = plan(Kind.monitor, wanted_monitors, remote_monitors) + plan(
        Kind.dashboard, wanted_dashboards, remote_dashboards
    )
    if not dry_run:
        for action in actions:
            await asyncio.to_thread(_apply, api, action)
    return actions


def _apply(api: DatadogApi, action: Action) -> None:
    if action.change is Change.unchanged:
        return
    if action.kind is Kind.monitor:
        if action.change is Change.create:
            api.create_monitor(action.payload)
        else:
            api.update_monitor(action.remote_id, action.payload)  # type: ignore[arg-type]
    elif action.change is Change.create:
        api.create_dashboard(action.payload)
    else:
        api.update_dashboard(action.remote_id, action.payload)  # type: ignore[arg-type]
    log.info("datadog %s", action.describe())


def datadog_api_from(settings: Settings) -> DatadogApi | None:
    """The API client when both keys are configured, else None."""
    if settings.dd_api_key is None or settings.dd_app_key is None:
        return None
    return DatadogApi(
        api_key=settings.dd_api_key.get_secret_value(),
        app_key=settings.dd_app_key.get_secret_value(),
        site=settings.dd_site,
        url=settings.datadog_api_url,
    )
