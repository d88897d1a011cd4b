"""`classconnect serve --workers N`: N server processes on one port, one event loop each.

Every worker binds the port with SO_REUSEPORT and the kernel spreads new connections across
them. Workers share nothing in memory, so live events reach sockets held by another worker only
through Redis: more than one worker requires REDIS_URL. The stores that would run embedded are
started once, here in the parent, and every worker gets their URLs. The parent holds the port
bound (not listening) so PORT=0 resolves once for all, forwards SIGTERM/SIGINT to the workers
and restarts one that dies after it had started serving; one that dies before (a configuration
error, a store that refuses) stops them all, with exit code 1.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from server import embedded
from server.serving import bind
from server.settings import Settings, SettingsError

log = logging.getLogger("classconnect")

PARENT_PID = "CLASSCONNECT_PARENT_PID"
STOP_MARGIN_SECONDS = 15.0  # beyond SHUTDOWN_TIMEOUT_SECONDS before a worker is killed


def check_workers(settings: Settings, workers: int) -> None:
    if workers < 1:
        raise SettingsError("--workers must be at least 1")
    if workers > 1 and not settings.redis_url:
        raise SettingsError(
            f"--workers {workers} needs REDIS_URL: each worker holds its own sockets and they "
            "share live events only through Redis (or run a single worker)"
        )


class Supervisor:
    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings = settings
        self.workers = workers
        self.stopping = False
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.env: dict[str, str] = {}
        self.ready_dir = Path(tempfile.mkdtemp(prefix="classconnect-workers-"))
        self.stopped_at = 0.0

    def ready_file(self, index: int) -> Path:
        return self.ready_dir / f"worker-{index}"

    def spawn(self, index: int) -> None:
        self.ready_file(index).unlink(missing_ok=True)  # written once the worker serves
        ready = ["--ready-file", str(self.ready_file(index))]
        self.procs[index] = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--reuse-port", *ready],
            env=self.env,
            # Its own process group: a terminal's Ctrl-C reaches only the parent, which then
            # sends one SIGTERM to each worker (a second signal would cut their graceful stop).
            process_group=0,
        )

    def stop(self, *_: Any) -> None:
        if not self.stopping:
            self.stopping = True
            self.stopped_at = time.monotonic()
            for proc in self.procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)

    def run(self) -> int:
        for index in range(self.workers):
            self.spawn(index)
        failed = False
        grace = self.settings.shutdown_timeout_seconds + STOP_MARGIN_SECONDS
        announced = False
        while any(proc.poll() is None for proc in self.procs.values()) or not self.stopping:
            time.sleep(0.1)
            if not announced and all(self.ready_file(i).exists() for i in self.procs):
                announced = True
                log.info("all %s workers serving", self.workers)
            if self.stopping:
                if time.monotonic() - self.stopped_at > grace:
                    for proc in self.procs.values():
                        if proc.poll() is None:
                            proc.kill()
                continue
            for index, proc in list(self.procs.items()):
                if proc.poll() is None:
                    continue
                served = self.ready_file(index).exists()
                log.error("worker %s exited with %s (%s)", index, proc.returncode,
                          "restarting it" if served else "before serving: stopping")  # fmt: skip
                if not served:
                    failed = True
                    self.stop()
                    break
                self.spawn(index)
                announced = False
        for index in self.procs:
            self.ready_file(index).unlink(missing_ok=True)
        self.ready_dir.rmdir()
        # Our own SIGTERM ends a worker that had not yet installed its handlers: not a failure.
        codes = [proc.returncode for proc in self.procs.values()]
        return 1 if failed or any(c not in (0, -signal.SIGTERM) for c in codes) else 0


def serve_workers(settings: Settings, workers: int) -> int:
    settings.resolve_jwt_secret()  # fail fast; in development the secret is written once here
    reserved = bind(settings.host, settings.port, reuse_port=True)
    settings.listening_on(reserved.getsockname()[1])
    stores = start_embedded_stores(settings)
    supervisor = Supervisor(settings, workers)
    supervisor.env = {
        **os.environ,
        "PORT": str(settings.port),
        "PUBLIC_BASE_URL": settings.public_base_url,
        "DATABASE_URL": settings.database_url or "",
        "MONGODB_URL": settings.mongodb_url or "",
        PARENT_PID: str(os.getpid()),
    }
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, supervisor.stop)
    log.info(
        "ClassConnect serving on http://%s:%s with %s workers; links to %s",
        settings.host, settings.port, workers, settings.public_base_url,
    )  # fmt: skip
    try:
        return supervisor.run()
    finally:
        supervisor.stop()
        stop_embedded_stores(stores)
        reserved.close()


def start_embedded_stores(settings: Settings) -> dict[str, Any]:
    """Start the stores that have no URL, side by side, and fill in their URLs."""
    starts = {}
    if not settings.database_url:
        starts["postgres"] = lambda: embedded.start_postgres(settings.data_dir)
    if not settings.mongodb_url:
        port = settings.embedded_mongo_port
        starts["mongo"] = lambda: embedded.start_mongo(settings.data_dir, port)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(start) for name, start in starts.items()}
    started = {name: f.result() for name, f in futures.items() if f.exception() is None}
    failures = [f.exception() for f in futures.values() if f.exception() is not None]
    if failures:
        stop_embedded_stores({name: server for name, (server, _) in started.items()})
        raise failures[0]  # type: ignore[misc]
    if "postgres" in started:
        settings.database_url = dsn = started["postgres"][1]
        log.info("embedded Postgres started for every worker", extra={"dsn": dsn})
    if "mongo" in started:
        settings.mongodb_url = started["mongo"][1]
        log.info("embedded MongoDB-wire server started for every worker",
                 extra={"uri": started["mongo"][1]})  # fmt: skip
    return {name: server for name, (server, _) in started.items()}


def stop_embedded_stores(stores: dict[str, Any]) -> None:
    stops = {"postgres": embedded.stop_postgres, "mongo": embedded.stop_mongo}
    for name, server in stores.items():
        stops[name](server)


def die_with_parent() -> None:
    """In a worker: end when the parent supervisor is gone, even if it was killed outright."""
    parent = os.environ.get(PARENT_PID)
    if parent is None or not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != int(parent):  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)
