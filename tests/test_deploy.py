"""The Kubernetes manifests: both overlays rendered by kustomize, every object valid against the
schemas of a pinned Kubernetes version (offline), and agreeing with the code they deploy."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from server.app import create_app
from server.keys import ENDPOINTS, SOCKETIO
from server.settings import Settings

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
KUBERNETES_VERSION = "1.32.0"  # LKE's current line; bump with the cluster
OVERLAYS = ("dev", "prod")


def render(overlay: str) -> list[dict[str, Any]]:
    """`kubectl kustomize` (kustomize v5 built in), as CI and deploy/README.md run it."""
    if shutil.which("kubectl") is None:
        if os.environ.get("CI"):
            pytest.fail("kubectl is needed to render deploy/overlays (apt-get install kubectl)")
        pytest.skip("kubectl is not installed")
    out = subprocess.run(["kubectl", "kustomize", str(DEPLOY / "overlays" / overlay)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(request.param)


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    [found] = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    return found


def app_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    [only] = one(docs, "Deployment", "classconnect")["spec"]["template"]["spec"]["containers"]
    return only


def test_every_rendered_object_is_valid_for_the_pinned_kubernetes(rendered):
    _, docs = rendered
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        assert doc["metadata"].get("namespace") in ("classconnect", None)
    kinds = {d["kind"] for d in docs}
    assert {"Namespace", "ConfigMap", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler",
            "PodDisruptionBudget", "NetworkPolicy", "Job"} <= kinds  # fmt: skip
    assert one(docs, "Deployment", "redis") and one(docs, "Service", "redis")


def test_the_base_lists_every_manifest_but_the_secret_template():
    listed = set(yaml.safe_load((DEPLOY / "base" / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in (DEPLOY / "base").glob("*.yaml")}
    assert listed == on_disk - {"kustomization.yaml", "secret.template.yaml"}


def test_the_secret_template_has_every_key_and_no_value():
    template = yaml.safe_load((DEPLOY / "base" / "secret.template.yaml").read_text())
    kubernetes_validate.validate(template, KUBERNETES_VERSION, strict=True)
    data = template["stringData"]
    assert data and set(data.values()) == {""} and "data" not in template
    assert {k.lower() for k in data} <= set(Settings.model_fields)
    assert {"DATABASE_URL", "MONGODB_URL", "JWT_SECRET"} <= set(data)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("data"),
        database_url="postgresql://unused/x", mongodb_url="mongodb://unused/", jwt_secret="s" * 40,
    ))  # fmt: skip


def test_probes_point_at_routes_the_app_serves(rendered, app):
    _, docs = rendered
    served = {(e.method, e.path) for e in app[ENDPOINTS]}
    c = app_container(docs)
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert ("GET", c[probe]["httpGet"]["path"]) in served
        assert c[probe]["httpGet"]["port"] == c["ports"][0]["name"]
    assert c["resources"]["requests"] and "memory" in c["resources"]["limits"]


def test_the_grace_period_covers_prestop_and_the_shutdown_timeout(rendered):
    _, docs = rendered
    pod = one(docs, "Deployment", "classconnect")["spec"]["template"]["spec"]
    sleep = int(app_container(docs)["lifecycle"]["preStop"]["exec"]["command"][-1])
    shutdown = float(one(docs, "ConfigMap")["data"]["SHUTDOWN_TIMEOUT_SECONDS"])
    assert pod["terminationGracePeriodSeconds"] > sleep + shutdown


def test_config_map_sets_only_real_settings_that_parse(rendered, monkeypatch):
    overlay, docs = rendered
    fields = {name.upper() for name in Settings.model_fields}
    data = one(docs, "ConfigMap")["data"]
    assert set(data) <= fields
    env_names = {e["name"] for e in app_container(docs)["env"]}
    assert {n for n in env_names if not n.startswith("DD_")} <= fields
    assert data["HOST"] == "0.0.0.0"
    assert data["PORT"] == str(app_container(docs)["ports"][0]["containerPort"])
    for name, value in data.items():  # as deployed: from the environment
        monkeypatch.setenv(name, value)
    deployed = Settings(_env_file=None)  # type: ignore[call-arg]
    assert deployed.is_production == (overlay == "prod")
    assert deployed.redis_url == "redis://redis:6379/0"  # the in-cluster Redis Service
    assert one(docs, "Service", "redis")["spec"]["ports"][0]["port"] == 6379


def test_service_hpa_pdb_and_network_policy_select_the_deployment(rendered):
    _, docs = rendered
    deployment = one(docs, "Deployment", "classconnect")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (
        one(docs, "Service", "classconnect")["spec"]["selector"],
        one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        one(docs, "NetworkPolicy", "classconnect")["spec"]["podSelector"]["matchLabels"],
    ):
        assert selector.items() <= labels.items()
    target = one(docs, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "classconnect")
    port = one(docs, "Service", "classconnect")["spec"]["ports"][0]["targetPort"]
    assert port == app_container(docs)["ports"][0]["name"]


def test_only_the_server_and_the_migration_reach_the_stores(rendered):
    _, docs = rendered
    policy = one(docs, "NetworkPolicy", "stores")["spec"]
    stores = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")
              and d["metadata"]["name"] != "classconnect"]  # fmt: skip
    for store in stores:
        labels = store["spec"]["template"]["metadata"]["labels"]
        assert policy["podSelector"]["matchLabels"].items() <= labels.items(), store["metadata"]
    [rule] = policy["ingress"]
    [peer] = rule["from"]
    allowed = peer["podSelector"]["matchLabels"].items()
    for client in (one(docs, "Deployment", "classconnect"), one(docs, "Job")):
        assert allowed <= client["spec"]["template"]["metadata"]["labels"].items()


def test_ingress_upgrades_websockets_and_outwaits_socketio_pings(rendered, app):
    overlay, docs = rendered
    ingress = one(docs, "Ingress")
    notes = ingress["metadata"]["annotations"]
    ping = float(one(docs, "ConfigMap")["data"]["REALTIME_PING_INTERVAL_SECONDS"])
    silence = ping + app[SOCKETIO].eio.ping_timeout  # the longest a healthy socket is quiet
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert float(notes[f"nginx.ingress.kubernetes.io/{timeout}"]) > silence
    assert notes["nginx.ingress.kubernetes.io/proxy-http-version"] == "1.1"  # Upgrade needs 1.1
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"  # polling until upgraded
    [rule] = ingress["spec"]["rules"]
    [path] = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/", "Prefix")  # /socket.io/ and /api/v1 alike
    backend = path["backend"]["service"]
    assert backend == {"name": "classconnect", "port": {"name": "http"}}
    if overlay == "prod":
        assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"]] == ["api.classconnect.app"]


def test_the_migration_job_runs_migrate_with_the_servers_image_and_settings(rendered):
    _, docs = rendered
    job = one(docs, "Job", "classconnect-migrate")
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    server = app_container(docs)
    assert container["command"] == ["classconnect", "migrate"]
    assert container["image"] == server["image"] and ":" in server["image"]
    assert container["envFrom"] == server["envFrom"]
    assert pod["restartPolicy"] == "Never" and pod["securityContext"]["runAsNonRoot"]
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"


def test_prod_runs_two_pods_on_managed_databases():
    docs = render("prod")
    assert one(docs, "Deployment", "classconnect")["spec"]["replicas"] >= 2
    assert one(docs, "HorizontalPodAutoscaler")["spec"]["minReplicas"] >= 2
    assert one(docs, "PodDisruptionBudget")["spec"]["minAvailable"] >= 1
    assert not [d for d in docs if d["kind"] in ("StatefulSet", "Secret")]  # URLs in the Secret
    assert one(docs, "Deployment", "classconnect")["spec"]["template"]["spec"]["securityContext"][
        "runAsNonRoot"
    ]


def test_dev_runs_one_pod_with_every_store_in_the_cluster():
    docs = render("dev")
    assert one(docs, "Deployment", "classconnect")["spec"]["replicas"] == 1
    assert one(docs, "HorizontalPodAutoscaler")["spec"]["maxReplicas"] == 1
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "StatefulSet"} == {
        "postgres",
        "mongo",
    }
    [secret_ref] = [
        e["secretRef"]["name"] for e in app_container(docs)["envFrom"] if "secretRef" in e
    ]
    secret = one(docs, "Secret", secret_ref)  # the generated name, hash and all
    assert set(secret["data"]) == {"DATABASE_URL", "MONGODB_URL"}
    assert {one(docs, "Service", n)["metadata"]["name"] for n in ("postgres", "mongo")}
