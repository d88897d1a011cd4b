"""The image and the locked dependencies: the Dockerfile's properties (parsed, since no base image
can be pulled here), the lock files against pyproject.toml, `make` installing from them, and the
image's install performed for real in a fresh virtual environment."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement

ROOT = Path(__file__).parent.parent
LOCK, DEV_LOCK = ROOT / "requirements.lock", ROOT / "requirements-dev.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def stages() -> list[list[dict]]:
    """The Dockerfile's instructions, one list per FROM."""
    parsed = DockerfileParser(path=str(ROOT / "Dockerfile"))
    result: list[list[dict]] = []
    for instruction in parsed.structure:
        if instruction["instruction"] == "FROM":
            result.append([])
        if result and instruction["instruction"] != "COMMENT":
            result[-1].append(instruction)
    return result


def of(stage: list[dict], kind: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == kind]


def test_the_image_is_built_in_two_stages_on_slim_python_311():
    parsed = DockerfileParser(path=str(ROOT / "Dockerfile"))
    assert parsed.is_multistage and len(stages()) == 2
    for image in parsed.parent_images:
        assert re.fullmatch(r"python:3\.11-slim(-\w+)?", image), image


def test_wheels_are_built_in_the_first_stage_from_the_hash_locked_file_only():
    build, final = stages()
    runs = " ".join(of(build, "RUN"))
    assert "pip wheel" in runs and "--require-hashes" in runs and "-r requirements.lock" in runs
    assert "requirements.lock" in " ".join(of(build, "COPY"))
    [install] = [r for r in of(final, "RUN") if "pip install" in r]
    # The final stage only installs the first stage's wheels, never from an index.
    assert "--mount=type=bind,from=build" in install and "--no-index" in install
    assert "pip check" in install


def test_the_final_stage_has_no_compiler_and_runs_as_a_non_root_user():
    build, final = stages()
    assert "build-essential" in " ".join(of(build, "RUN"))
    for run in of(final, "RUN"):
        assert not re.search(r"apt-get install|build-essential|gcc|\bcc\b|make\b", run), run
    [user] = of(final, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000  # numeric, so runAsNonRoot can check it
    assert of(final, "USER") and final.index(
        next(i for i in final if i["instruction"] == "USER")
    ) > max(i for i, x in enumerate(final) if x["instruction"] == "RUN")


def test_healthcheck_probes_healthz_and_the_entry_point_is_classconnect_serve():
    _, final = stages()
    [health] = of(final, "HEALTHCHECK")
    command = json.loads(health.split("CMD", 1)[1])
    assert command == ["classconnect", "healthcheck"]  # GETs /healthz on $PORT (tested)
    [entry], [cmd] = of(final, "ENTRYPOINT"), of(final, "CMD")
    assert json.loads(entry) + json.loads(cmd) == ["classconnect", "serve"]
    assert of(final, "EXPOSE") == ["8080"]


def test_dockerignore_sends_only_what_the_image_copies():
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines()
              if line and not line.startswith("#")]  # fmt: skip

    def excluded(path: str) -> bool:
        verdict = False
        for pattern in ignore:
            negate = pattern.startswith("!")
            pattern = pattern.lstrip("!").rstrip("/").removeprefix("**/")
            if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path.split("/")[-1], pattern) \
                    or path.startswith(pattern + "/"):  # fmt: skip
                verdict = not negate
        return verdict

    copies = of(stages()[0], "COPY") + [c for c in of(stages()[1], "COPY") if "--from" not in c]
    copied = [src for value in copies for src in shlex.split(value)[:-1]]
    assert copied and not [src for src in copied if excluded(src)]
    assert all((ROOT / src).exists() for src in copied)
    assert "config/datadog" in copied  # datadog-sync's configuration travels with the image
    for secret_or_bulk in (".env", ".venv/bin/python", "var/jwt_secret", ".git/config", "tests",
                           "config/example.env", "deploy/base/deployment.yaml"):  # fmt: skip
        assert excluded(secret_or_bulk), secret_or_bulk


def pins(lock: Path) -> dict[str, str]:
    return {name.lower().replace("_", "-"): v for name, v in PIN.findall(lock.read_text())}


def requirements(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return [Requirement(r) for r in listed]


@pytest.mark.parametrize(("lock", "extra"), [(LOCK, None), (DEV_LOCK, "dev")])
def test_each_lock_pins_everything_pyproject_asks_for(lock, extra):
    pinned = pins(lock)
    stale = [
        str(req) for req in requirements(extra)
        if req.name.lower() not in pinned or pinned[req.name.lower()] not in req.specifier
    ]  # fmt: skip
    assert not stale, f"{lock.name} does not satisfy {stale}: run `make lock`"
    # Every pin carries hashes, so pip's --require-hashes accepts the file.
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text().split("\n", 2)[2])
    assert len(entries) == len(PIN.findall(lock.read_text()))  # (one name may fork by marker)
    assert all("--hash=sha256:" in entry for entry in entries)


def test_the_runtime_lock_agrees_with_the_dev_lock():
    runtime, dev = pins(LOCK), pins(DEV_LOCK)
    assert {name: dev.get(name) for name in runtime} == runtime


def make_dry_run(target: str, tmp_path: Path) -> str:
    result = subprocess.run(
        ["make", "-n", target, f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


@pytest.mark.parametrize("target", ["run", "test"])
def test_make_installs_from_the_dev_lock(target, tmp_path):
    commands = make_dry_run(target, tmp_path)
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in commands
    assert "pip install --quiet --no-deps -e ." in commands  # the project, nothing unlocked
    assert "pip check" in commands


def test_make_lock_regenerates_both_files_with_hashes(tmp_path):
    commands = make_dry_run("lock", tmp_path)
    for lock in ("requirements-dev.lock", "requirements.lock"):
        [line] = [c for c in commands.splitlines() if f"-o {lock}" in c]
        assert "uv pip compile pyproject.toml" in line and "--generate-hashes" in line
    for lock in (LOCK, DEV_LOCK):
        assert lock.read_text().splitlines()[1].strip() == "#    make lock"


@pytest.mark.slow
def test_the_images_install_works_in_a_fresh_venv(tmp_path):
    """What the Dockerfile does, on this machine: hash-checked install of the runtime lock, the
    project without dependencies, a consistent environment, and a working entry point."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]

    # Like `docker build`, pip sees PyPI only (not this machine's extra local indexes).
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": "",
           "PIP_EXTRA_INDEX_URL": ""}  # fmt: skip

    def run(*args: str) -> str:
        result = subprocess.run(
            args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"
        return result.stdout

    run(*pip, "install", "--quiet", "--no-compile", "--require-hashes", "-r", str(LOCK))
    run(*pip, "install", "--quiet", "--no-compile", "--no-deps", str(ROOT))
    run(*pip, "check")
    installed = {p["name"].lower() for p in json.loads(run(*pip, "list", "--format=json"))}
    assert {"pytest", "ruff", "uv"}.isdisjoint(installed)  # the runtime set only
    assert "serve" in run(str(venv / "bin" / "classconnect"), "--help")
    # Package data the server reads at run time came along (here: the reports' fonts).
    probe = "from server.services.report_fonts import register_fonts; register_fonts()"
    outside = {**env, "PYTHONPATH": ""}
    found = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path,
                           env=outside, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert found.returncode == 0, found.stderr
