"""Deciding what datadog-sync changes: recipients, keys, and what counts as unchanged."""

from __future__ import annotations

import pytest

from server.domain.datadog_plan import (
    MANAGED_TAG,
    Change,
    Kind,
    covers,
    dashboard_key,
    desired_dashboard,
    desired_monitor,
    monitor_key,
    notify_handles,
    plan,
)

MONITOR = {"name": "m", "type": "query alert", "query": "avg(last_5m):x{*} > 1",
           "message": "Runbook.\n", "tags": ["team:cc", "cc-sync:m"],
           "options": {"thresholds": {"critical": 1}}}  # fmt: skip


def test_recipients_are_admins_then_extras_each_once():
    handles = notify_handles(["B@x.org", "a@x.org", " "], ["@slack-ops", "b@x.org", "@slack-ops"])
    assert handles == ["@a@x.org", "@b@x.org", "@slack-ops"]
    assert notify_handles([], []) == []


def test_desired_monitor_adds_recipients_and_the_managed_tag_without_touching_the_config():
    wanted = desired_monitor(MONITOR, ["@a@x.org", "@slack-ops"])
    assert wanted["message"] == "Runbook.\n\nNotify: @a@x.org @slack-ops"
    assert MANAGED_TAG in wanted["tags"] and MANAGED_TAG not in MONITOR["tags"]
    assert desired_monitor(MONITOR, [])["message"] == "Runbook."
    assert monitor_key(wanted) == "m"
    with pytest.raises(ValueError, match="cc-sync"):
        monitor_key({"name": "n", "tags": ["cc-sync:a", "cc-sync:b"]})


def test_dashboards_carry_their_key_in_the_description():
    wanted = desired_dashboard({"title": "t", "description": "About."}, "overview")
    assert dashboard_key(wanted["description"]) == "overview"
    assert dashboard_key("About. cc-sync:not-on-its-own-line") is None
    assert dashboard_key(None) is None


def test_covers_ignores_what_datadog_adds_but_not_what_it_lacks():
    remote = {**MONITOR, "id": 5, "tags": ["cc-sync:m", "team:cc"],
              "options": {"thresholds": {"critical": 1.0}, "silenced": {}}}  # fmt: skip
    assert covers(remote, MONITOR)
    assert not covers({**remote, "query": "other"}, MONITOR)
    assert not covers({**remote, "tags": ["team:cc"]}, MONITOR)
    assert not covers({**remote, "options": {}}, MONITOR)
    assert not covers([{"a": 1}], [{"a": 1}, {"b": 2}])


def test_plan_creates_updates_and_leaves_alone():
    wanted = {"a": {"name": "A", "q": 1}, "b": {"name": "B", "q": 2}, "c": {"name": "C", "q": 3}}
    remote = {"b": (7, {"name": "B", "q": 2, "id": 7}), "c": (8, {"name": "C", "q": 4})}
    actions = plan(Kind.monitor, wanted, remote)
    assert [(a.key, a.change, a.remote_id) for a in actions] == [
        ("a", Change.create, None), ("b", Change.unchanged, 7), ("c", Change.update, 8),
    ]  # fmt: skip
    assert actions[2].describe() == "update    monitor   c (8): C"
