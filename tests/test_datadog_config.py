"""config/datadog/ agrees with the code: metrics the server sends, runbooks that exist, payloads
Datadog accepts, one sync key each; and the agent's Helm values (deploy/datadog/)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from server.domain.datadog_plan import monitor_key
from server.metrics import ALL_METRICS, NAMESPACE

ROOT = Path(__file__).parent.parent
DATADOG = ROOT / "config" / "datadog"
MONITORS = json.loads((DATADOG / "monitors.json").read_text())


def metric_names(text: str) -> set[str]:
    return set(re.findall(rf"\b{NAMESPACE}\.([a-z0-9_.]+?)(?=[{{.]as_|\{{)", text))


def test_monitors_and_dashboard_use_only_metrics_the_server_sends():
    monitors = (DATADOG / "monitors.json").read_text()
    dashboard = (DATADOG / "dashboard.json").read_text()
    used = metric_names(monitors) | metric_names(dashboard)
    assert used and used <= ALL_METRICS, used - ALL_METRICS
    # Each family the brief asks for is watched by a monitor.
    assert {
        "http.request.duration_ms",
        "http.requests",
        "outbox.oldest_age_seconds",
        "mail.oldest_age_seconds",
        "mail.retrying",
        "event_loop.lag_ms",
        "db.pool.saturation",
        "notifications.deliveries.dead",
        "audit.verify.broken",
    } <= metric_names(monitors)


def test_monitors_are_valid_api_payloads_with_a_runbook_and_no_fixed_recipient():
    runbook = (ROOT / "docs" / "operations.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", runbook, flags=re.M)
    }
    for monitor in MONITORS:
        assert monitor["type"] == "query alert"
        assert monitor["name"] and monitor["message"]
        # Datadog rejects a monitor whose query threshold differs from options.critical.
        threshold = float(re.search(r"[<>]=?\s*([0-9.]+)\s*$", monitor["query"]).group(1))
        assert monitor["options"]["thresholds"]["critical"] == threshold, monitor["name"]
        [anchor] = re.findall(r"docs/operations\.md#([a-z0-9-]+)", monitor["message"])
        assert anchor in anchors, anchor
        # Recipients are added by datadog-sync (admins + DATADOG_NOTIFY_EXTRA), never written here.
        assert "@" not in monitor["message"], monitor["name"]
    keys = [monitor_key(m) for m in MONITORS]
    assert len(keys) == len(set(keys))


def test_the_node_cpu_monitor_watches_the_cluster_the_agent_reports():
    values = yaml.safe_load((ROOT / "deploy" / "datadog" / "agent-values.yaml").read_text())
    cluster = values["datadog"]["clusterName"]
    [cpu] = [m for m in MONITORS if monitor_key(m) == "node-cpu"]
    assert f"kube_cluster_name:{cluster}" in cpu["query"]
    assert cpu["query"].startswith("avg(last_5m):") and cpu["query"].endswith("> 80")
    # The agent the deployment talks to: cluster agent, node agents with APM and DogStatsD.
    assert values["clusterAgent"]["enabled"] is True
    assert values["datadog"]["apm"]["portEnabled"] is True
    assert values["datadog"]["dogstatsd"]["useHostPort"] is True


def test_dashboard_is_an_ordered_dashboard_with_queries():
    dashboard = json.loads((DATADOG / "dashboard.json").read_text())
    assert dashboard["layout_type"] == "ordered" and dashboard["title"]
    widgets = [w for g in dashboard["widgets"] for w in g["definition"]["widgets"]]
    assert len(widgets) >= 10
    for widget in widgets:
        for request in widget["definition"]["requests"]:
            names = {q["name"] for q in request["queries"]}
            for formula in request["formulas"]:
                assert set(re.findall(r"\bq\d+\b", formula["formula"])) <= names
