"""The Kubernetes manifests and Datadog monitors/dashboard agree with the code they describe."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.app import create_app
from server.keys import ENDPOINTS
from server.metrics import ALL_METRICS, NAMESPACE
from server.settings import Settings

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
DATADOG = ROOT / "config" / "datadog"


def manifests() -> dict[str, dict[str, Any]]:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    docs = {}
    for name in kustomization["resources"]:
        doc = yaml.safe_load((DEPLOY / name).read_text())
        docs[doc["kind"]] = doc
    return docs


@pytest.fixture(scope="module")
def k8s() -> dict[str, dict[str, Any]]:
    return manifests()


def container(k8s: dict[str, dict[str, Any]]) -> dict[str, Any]:
    [only] = k8s["Deployment"]["spec"]["template"]["spec"]["containers"]
    return only


def test_kustomization_lists_every_manifest_and_each_parses():
    listed = set(yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    assert {"Namespace", "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler"} <= set(
        manifests()
    )
    yaml.safe_load((DEPLOY / "datadog" / "agent-values.yaml").read_text())


def test_probes_point_at_routes_the_app_serves(k8s, tmp_path):
    app = create_app(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path,
            database_url="postgresql://unused/x",
            mongodb_url="mongodb://unused/",
            jwt_secret="s" * 40,
        )
    )
    served = {(e.method, e.path) for e in app[ENDPOINTS]}
    c = container(k8s)
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert ("GET", c[probe]["httpGet"]["path"]) in served
        assert c[probe]["httpGet"]["port"] == c["ports"][0]["name"]


def test_the_grace_period_covers_prestop_and_the_shutdown_timeout(k8s):
    pod = k8s["Deployment"]["spec"]["template"]["spec"]
    sleep = int(container(k8s)["lifecycle"]["preStop"]["exec"]["command"][-1])
    shutdown = float(k8s["ConfigMap"]["data"]["SHUTDOWN_TIMEOUT_SECONDS"])
    assert pod["terminationGracePeriodSeconds"] >= 35
    assert pod["terminationGracePeriodSeconds"] > sleep + shutdown


def test_config_map_sets_only_real_settings_and_production(k8s, monkeypatch):
    fields = {name.upper() for name in Settings.model_fields}
    data = k8s["ConfigMap"]["data"]
    assert set(data) <= fields
    env_names = {e["name"] for e in container(k8s)["env"]}
    assert {n for n in env_names if not n.startswith("DD_")} <= fields
    assert data["ENVIRONMENT"] == "production" and data["HOST"] == "0.0.0.0"
    assert data["PORT"] == str(container(k8s)["ports"][0]["containerPort"])
    # Settings parse the values as they are deployed: from the environment.
    for name, value in data.items():
        monkeypatch.setenv(name, value)
    deployed = Settings(_env_file=None)  # type: ignore[call-arg]
    assert deployed.is_production and deployed.google_client_ids == []


def test_service_hpa_and_pdb_select_the_deployment(k8s):
    labels = k8s["Deployment"]["spec"]["template"]["metadata"]["labels"]
    for selector in (
        k8s["Service"]["spec"]["selector"],
        k8s["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
    ):
        assert selector.items() <= labels.items()
    target = k8s["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", k8s["Deployment"]["metadata"]["name"])
    assert k8s["Service"]["spec"]["ports"][0]["targetPort"] == container(k8s)["ports"][0]["name"]
    assert "memory" in container(k8s)["resources"]["limits"]


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
    } <= metric_names(monitors)


def test_monitors_are_valid_api_payloads_with_a_runbook():
    runbook = (ROOT / "docs" / "operations.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", runbook, flags=re.M)
    }
    for monitor in json.loads((DATADOG / "monitors.json").read_text()):
        assert monitor["type"] == "query alert"
        assert monitor["name"] and monitor["message"]
        # Datadog rejects a monitor whose query threshold differs from options.critical.
        threshold = float(re.search(r"[<>]=?\s*([0-9.]+)\s*$", monitor["query"]).group(1))
        assert monitor["options"]["thresholds"]["critical"] == threshold, monitor["name"]
        [anchor] = re.findall(r"docs/operations\.md#([a-z0-9-]+)", monitor["message"])
        assert anchor in anchors, anchor


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
