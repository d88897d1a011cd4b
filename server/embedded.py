"""Embedded Postgres (pgserver) and MongoDB-wire (SecantusDB) servers for `serve` with no URLs.

Both keep their data under DATA_DIR so a restart keeps everything. They are blocking to start
and stop, so the app calls these from a thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("classconnect.embedded")


def start_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or attach to) the embedded Postgres; returns (handle, dsn)."""
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset; harmless here.
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = (data_dir / "postgres").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    return server, server.get_uri()


def stop_postgres(server: Any) -> None:
    server.cleanup()


# Where a running embedded Mongo says it listens (its port is picked at start), so that a second
# process on the same DATA_DIR (`classconnect create-admin` while `make run` serves) connects to
# it instead of starting another server on the same files.
MONGO_ENDPOINT_FILE = "mongo.endpoint.json"
EMBEDDED_TTL_SWEEP = 3600.0


def start_mongo(data_dir: Path, port: int = 0) -> tuple[Any, str]:
    from secantus import SecantusDBServer

    path = (data_dir / "mongo").resolve()
    path.mkdir(parents=True, exist_ok=True)
    # Its TTL sweeper reads every document of `event_log` (7 days' retention) under its storage
    # lock on each pass, stalling the relay for seconds once the log is large
    # (docs/notifications.md); hourly instead of every minute, since an envelope kept an hour
    # longer costs nothing. A real MongoDB's TTL monitor deletes through the index.
    server = SecantusDBServer(
        host="127.0.0.1", port=port, storage_path=str(path), ttl_sweep_seconds=EMBEDDED_TTL_SWEEP
    )
    server.start()
    endpoint = data_dir.resolve() / MONGO_ENDPOINT_FILE
    tmp = endpoint.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"uri": server.uri, "pid": os.getpid()}))
    tmp.replace(endpoint)
    server.cc_endpoint_file = endpoint
    return server, server.uri


def running_mongo(data_dir: Path) -> str | None:
    """The URI of the embedded Mongo another live process serves on `data_dir`, if any."""
    try:
        endpoint = json.loads((data_dir.resolve() / MONGO_ENDPOINT_FILE).read_text())
        uri, pid = str(endpoint["uri"]), int(endpoint["pid"])
        os.kill(pid, 0)  # raises when no such process
        parts = urlsplit(uri)
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1):
            return uri
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no file, a stale one, or a server that no longer answers


def stop_mongo(server: Any) -> None:
    endpoint = getattr(server, "cc_endpoint_file", None)
    if endpoint is not None:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(endpoint.read_text()).get("pid") == os.getpid():
                endpoint.unlink()
    # SecantusDB's stop() closes its listening socket and joins the accept thread for up to 2 s,
    # but on Linux closing a socket does not wake a thread blocked in accept(); shutting the
    # socket down does, so the stop takes milliseconds instead of the full 2 s.
    listening = getattr(server, "_socket", None)
    if listening is not None:
        with contextlib.suppress(OSError):
            listening.shutdown(socket.SHUT_RDWR)
    server.stop()
