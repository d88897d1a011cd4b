"""What `classconnect datadog-sync` must change in Datadog, decided without any I/O.

Each monitor in config/datadog/ carries a `cc-sync:<key>` tag naming it; the sync adds the
`managed-by` tag and finds its own monitors by it, so a renamed monitor is updated, not duplicated.
Datadog only accepts `team:` tags on dashboards and its dashboard list does not return them, so a
dashboard carries its key as a `cc-sync:<key>` line in its description instead.

A resource is unchanged when everything the configuration says is already there: Datadog fills
in defaults (option values, widget ids, timestamps) that the configuration does not mention.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MANAGED_TAG = "managed-by:classconnect-datadog-sync"
KEY_PREFIX = "cc-sync:"
NOTIFY_PREFIX = "Notify:"


class Kind(StrEnum):
    monitor = "monitor"
    dashboard = "dashboard"


class Change(StrEnum):
    create = "create"
    update = "update"
    unchanged = "unchanged"


@dataclass(frozen=True)
class Action:
    kind: Kind
    key: str
    change: Change
    title: str
    remote_id: str | int | None  # None until created
    payload: dict[str, Any]

    def describe(self) -> str:
        where = "" if self.remote_id is None else f" ({self.remote_id})"
        return f"{self.change.value:9} {self.kind.value:9} {self.key}{where}: {self.title}"


def notify_handles(admin_emails: list[str], extra: list[str]) -> list[str]:
    """Datadog @-handles: every active admin's email, then the configured extra targets
    (`@slack-ops`, `@pagerduty-x`, or plain emails), each once, in a stable order."""
    handles: list[str] = []
    for target in [*sorted(e.strip().lower() for e in admin_emails), *extra]:
        target = target.strip()
        if not target:
            continue
        handle = target if target.startswith("@") else f"@{target}"
        if handle not in handles:
            handles.append(handle)
    return handles


def monitor_key(monitor: dict[str, Any]) -> str:
    keys = [t.removeprefix(KEY_PREFIX) for t in monitor.get("tags", []) if t.startswith(KEY_PREFIX)]
    if len(keys) != 1 or not keys[0]:
        raise ValueError(f"monitor {monitor.get('name')!r} needs exactly one {KEY_PREFIX}<key> tag")
    return keys[0]


def desired_monitor(monitor: dict[str, Any], handles: list[str]) -> dict[str, Any]:
    wanted = copy.deepcopy(monitor)
    message = wanted["message"].rstrip()
    if handles:
        message += f"\n\n{NOTIFY_PREFIX} {' '.join(handles)}"
    wanted["message"] = message
    wanted["tags"] = sorted({*wanted.get("tags", []), MANAGED_TAG})
    return wanted


def desired_dashboard(dashboard: dict[str, Any], key: str) -> dict[str, Any]:
    wanted = copy.deepcopy(dashboard)
    description = (wanted.get("description") or "").rstrip()
    wanted["description"] = f"{description}\n\n{KEY_PREFIX}{key}".lstrip()
    return wanted


def dashboard_key(description: str | None) -> str | None:
    found = re.search(rf"^{re.escape(KEY_PREFIX)}(\S+)\s*$", description or "", flags=re.M)
    return found.group(1) if found else None


def covers(remote: Any, wanted: Any) -> bool:
    """Whether `remote` already says everything `wanted` says (extra remote fields allowed)."""
    if isinstance(wanted, dict):
        return isinstance(remote, dict) and all(
            k in remote and covers(remote[k], v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        if not isinstance(remote, list) or len(remote) != len(wanted):
            return False
        if all(isinstance(w, str) for w in wanted):  # tags: order is Datadog's business
            return sorted(remote) == sorted(wanted)
        return all(covers(r, w) for r, w in zip(remote, wanted, strict=True))
    if isinstance(wanted, float | int) and isinstance(remote, float | int):
        return float(remote) == float(wanted)
    return remote == wanted


def plan(
    kind: Kind,
    wanted: dict[str, dict[str, Any]],
    remote: dict[str, tuple[str | int, dict[str, Any]]],
) -> list[Action]:
    """One action per configured resource. `wanted` and `remote` are keyed by sync key; remote
    values are (id, the resource as Datadog returns it)."""
    actions = []
    for key, payload in sorted(wanted.items()):
        title = payload.get("name") or payload.get("title") or key
        if key not in remote:
            actions.append(Action(kind, key, Change.create, title, None, payload))
            continue
        remote_id, current = remote[key]
        change = Change.unchanged if covers(current, payload) else Change.update
        actions.append(Action(kind, key, change, title, remote_id, payload))
    return actions
