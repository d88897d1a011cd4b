"""Start-up time of `classconnect serve` on the embedded defaults, to the first 200 on /readyz.

Cold: a fresh DATA_DIR each time (initdb, first migrations, empty Mongo). Warm: restarts on a
DATA_DIR that already has everything. Each run is a real child process on loopback, stopped with
SIGTERM like Kubernetes does; the table also shows how long that stop took and when each phase
finished (from the server's own JSON log lines). Goal: warm under 5 s.

    python -m bench.startup [--runs 3] [--timeout 120]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

WARM_GOAL_SECONDS = 5.0
# Log messages that mark the end of a start-up phase (see server/app.py and server/serving.py).
PHASES = {
    "postgres": "embedded Postgres started",
    "mongo": "embedded MongoDB-wire server (SecantusDB) started",
    "serving": "serving on",
}


@dataclass
class Run:
    kind: str
    ready_s: float
    stop_s: float
    exit_code: int
    phases: dict[str, float] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _phases(log_text: str, started_wall: float) -> dict[str, float]:
    """Seconds from spawn to each phase's log line (the server logs JSON lines to a file)."""
    found: dict[str, float] = {}
    for line in log_text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        message = str(entry.get("message", ""))
        for name, marker in PHASES.items():
            if marker in message and name not in found:
                at = datetime.fromisoformat(entry["at"]).timestamp()
                found[name] = at - started_wall
    return found


def run_once(kind: str, data_dir: Path, timeout: float) -> Run:
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "MONGODB_URL": "",
        "REDIS_URL": "",
        "DD_AGENT_HOST": "",  # measure the server, not a metrics client with nowhere to send
        "LOG_LEVEL": "info",
    }
    log_path = data_dir.parent / f"{data_dir.name}.log"
    url = f"http://127.0.0.1:{port}/readyz"
    with log_path.open("w") as log:
        started_wall = time.time()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve"], env=env, stdout=log, stderr=log
        )
    try:
        while not _ready(url):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log_path.read_text()[-3000:]}")
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"not ready in {timeout}s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.02)
        ready_s = time.perf_counter() - started
    finally:
        stop_started = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        stop_s = time.perf_counter() - stop_started
    return Run(kind, ready_s, stop_s, code, _phases(log_path.read_text(), started_wall))


def print_table(runs: list[Run]) -> None:
    header = f"{'run':<8}{'ready s':>9}{'stop s':>9}{'exit':>6}   phases (s from spawn)"
    print(header)
    print("-" * len(header))
    for r in runs:
        phases = "  ".join(f"{k} {v:.2f}" for k, v in sorted(r.phases.items(), key=lambda p: p[1]))
        print(f"{r.kind:<8}{r.ready_s:>9.2f}{r.stop_s:>9.2f}{r.exit_code:>6}   {phases}")
    print()
    for kind in ("cold", "warm"):
        ready = [r.ready_s for r in runs if r.kind == kind]
        if ready:
            print(
                f"{kind}: median {statistics.median(ready):.2f} s, "
                f"min {min(ready):.2f} s, max {max(ready):.2f} s"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold runs and warm runs (each)")
    parser.add_argument("--timeout", type=float, default=120.0, help="per start, seconds")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="cc-bench-startup-"))
    runs: list[Run] = []
    try:
        for i in range(args.runs):  # each cold run gets its own never-used DATA_DIR
            runs.append(run_once("cold", root / f"cold{i}", args.timeout))
        warm_dir = root / "cold0"
        for _ in range(args.runs):
            runs.append(run_once("warm", warm_dir, args.timeout))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print_table(runs)
    warm = [r.ready_s for r in runs if r.kind == "warm"]
    met = max(warm) < WARM_GOAL_SECONDS
    print(f"goal: warm start under {WARM_GOAL_SECONDS:.0f} s: {'met' if met else 'NOT met'}")
    return 0 if met and all(r.exit_code == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
