"""Embedded Postgres (pgserver) and MongoDB-wire (SecantusDB) servers for `serve` with no URLs.

Both keep their data under DATA_DIR so a restart keeps everything. They are blocking to start
and stop, so the app calls these from a thread.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import warnings
from pathlib import Path
from typing import Any

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


def start_mongo(data_dir: Path, port: int = 0) -> tuple[Any, str]:
    from secantus import SecantusDBServer

    path = (data_dir / "mongo").resolve()
    path.mkdir(parents=True, exist_ok=True)
    server = SecantusDBServer(host="127.0.0.1", port=port, storage_path=str(path))
    server.start()
    return server, server.uri


def stop_mongo(server: Any) -> None:
    # SecantusDB's stop() closes its listening socket and joins the accept thread for up to 2 s,
    # but on Linux closing a socket does not wake a thread blocked in accept(); shutting the
    # socket down does, so the stop takes milliseconds instead of the full 2 s.
    listening = getattr(server, "_socket", None)
    if listening is not None:
        with contextlib.suppress(OSError):
            listening.shutdown(socket.SHUT_RDWR)
    server.stop()
