"""`classconnect serve --workers N`: N server processes on one port, one event loop each.

Every worker binds the port with SO_REUSEPORT and the kernel spreads new connections across
them. Workers share nothing in memory, so live events reach sockets held by another worker only
through Redis: more than one worker requires REDIS_URL. The stores that would run embedded are
started once, here in the parent, and every worker gets their URLs. The parent holds the port
bound (not listening) so PORT=0 resolves once for all, forwards SIGTERM/SIGINT to the workers
and restarts one that dies, unless it dies right after starting (a configuration error).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from server import embedded
from server.serving import bind
from server.settings import Settings, SettingsError

log = logging.getLogger("classconnect")

CRASH_LOOP_SECONDS = 10.0  # a worker that exits sooner after starting stops everything
PARENT_PID = "CLASSCONNECT_PARENT_PID"


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
        self.started_at: dict[int, float] = {}
        self.env: dict[str, str] = {}

    def spawn(self, index: int) -> None:
        self.procs[index] = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--reuse-port"],
            env=self.env,
            # Its own process group: a terminal's Ctrl-C reaches only the parent, which then
            # sends one SIGTERM to each worker (a second signal would cut their graceful stop).
            process_group=0,
        )
        self.started_at[index] = time.monotonic()

    def stop(self, *_: Any) -> None:
        if not self.stopping:
            self.stopping = True
            for proc in self.procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)

    def run(self) -> int:
        for index in range(self.workers):
            self.spawn(index)
        failed = False
        while any(proc.poll() is None for proc in self.procs.values()) or not self.stopping:
            time.sleep(0.1)
            if self.stopping:
                continue
            for index, proc in list(self.procs.items()):
                if proc.poll() is None:
                    continue
                lived = time.monotonic() - self.started_at[index]
                log.error("worker %s exited with %s after %.1f s", index, proc.returncode, lived)
                if lived < CRASH_LOOP_SECONDS:
                    failed = True
                    self.stop()
                    break
                self.spawn(index)
        codes = [proc.returncode for proc in self.procs.values()]
        return 1 if failed or any(codes) else 0


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
