"""deploy/README.md's commands are the ones this repository checks: each `make` target and
`classconnect` subcommand exists, each kustomize path renders, each object a `kubectl` command
names is in the render, each file it passes exists."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from server.cli import build_parser
from tests.test_deploy import render

ROOT = Path(__file__).parent.parent
README = (ROOT / "deploy" / "README.md").read_text()
KINDS = {"deployment": "Deployment", "deploy": "Deployment", "job": "Job"}


def commands() -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    lines = [line.split(" #")[0].strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line and not line.startswith("#")]


def test_the_readme_has_the_whole_walk():
    programs = [c[0] for c in commands()]
    assert {"make", "docker", "helm", "kubectl", "curl"} <= set(programs)
    assert "classconnect" in {w for c in commands() for w in c}


def test_make_targets_exist():
    for command in (c for c in commands() if c[0] == "make"):
        subprocess.run(["make", "-n", *command[1:]], cwd=ROOT, check=True, capture_output=True)


def test_classconnect_subcommands_parse():
    found = 0
    for command in commands():
        args = command[command.index("--") + 1 :] if "--" in command else command
        if args[0] == "classconnect":
            build_parser().parse_args(args[1:])  # exits on an unknown subcommand or flag
            found += 1
    assert found


@pytest.mark.parametrize("command", [c for c in commands() if c[0] == "kubectl"], ids=" ".join)
def test_kubectl_commands_name_what_the_overlays_render(command):
    overlay_path = next((w for w in command if w.startswith("deploy/overlays/")), None)
    docs = render(Path(overlay_path or "deploy/overlays/prod").name)
    if "-l" in command:  # apply -k … -l selector: exactly the migration Job
        key, value = command[command.index("-l") + 1].split("=")
        selected = [d for d in docs if d["metadata"].get("labels", {}).get(key) == value]
        assert [d["kind"] for d in selected] == ["Job"]
    for word in command:
        if re.fullmatch(r"[a-z]+/[a-z0-9-]+", word) and word.split("/")[0] in KINDS:
            kind, name = word.split("/", 1)
            assert any(d["kind"] == KINDS[kind] and d["metadata"]["name"] == name for d in docs)
    if "-n" in command:
        assert command[command.index("-n") + 1] in ("classconnect", "datadog", "ingress-nginx")


def test_every_repository_path_exists():
    given = ("-f", "-k", "kustomize")
    paths = {c[i + 1] for c in commands() for i, w in enumerate(c[:-1]) if w in given}
    paths = {p for p in paths if not p.startswith("~")}  # the operator's own copy
    paths |= set(re.findall(r"`((?:deploy|config|docs)/[^`#\s]+)", README))
    assert paths
    for path in paths:
        assert (ROOT / path).exists(), path
