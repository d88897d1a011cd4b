"""`classconnect serve --workers N` for the benchmarks' --workers comparisons: the real command
in a child process, the CPU of its whole process tree, and Redis (which N > 1 requires)."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import psutil

from tests.process import ServerProcess

REDIS_URL = "redis://127.0.0.1:6379/0"


def start_serve(env: dict[str, str], workers: int, log_dir: Path) -> ServerProcess:
    """`serve --workers N` with Redis (also for N = 1, so both sides pay for the same path),
    on a channel of its own; ready when it returns."""
    if subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0:
        raise SystemExit("--workers needs Redis on 127.0.0.1:6379 (see DEVELOPERS.md)")
    env = {**env, "REDIS_URL": REDIS_URL,
           "REALTIME_REDIS_CHANNEL": f"bench-{uuid.uuid4().hex[:8]}"}  # fmt: skip
    server = ServerProcess(env, log_dir / f"serve-{workers}.log", ("--workers", str(workers)))
    server.start().wait_ready()
    return server


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (the supervisor and workers)."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def report_workers(results: dict[str, list[dict]], workers: int) -> None:
    """Throughput of `--workers N` over `--workers 1`, per interleaved round."""
    one, many = results["1w"], results[f"{workers}w"]
    ratios = [m["rps"] / o["rps"] for o, m in zip(one, many, strict=True)]
    print(
        f"  {workers} workers / 1 worker throughput: best {max(ratios):.2f}, per round "
        f"{', '.join(f'{r:.2f}' for r in ratios)} (on {os.cpu_count()} cores shared with "
        "Postgres, Redis and the load generator)"
    )
