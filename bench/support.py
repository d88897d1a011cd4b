"""What several benchmarks share: a Postgres URL for another database, and MongoDB (the
SecantusDB wire-protocol server) in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.auth import free_port

MONGO_SCRIPT = """
import sys, time
from secantus import SecantusDBServer
server = SecantusDBServer(host="127.0.0.1", port=int(sys.argv[2]), storage_path=sys.argv[1])
server.start()
print(server.uri, flush=True)
while True:
    time.sleep(3600)
"""


def start_mongo(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """The Mongo-wire server in its own process, as a real MongoDB would be: embedded in the
    server process its threads would compete with the event loop for the GIL."""
    (data_dir / "mongo").mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", MONGO_SCRIPT, str(data_dir / "mongo"), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return proc, proc.stdout.readline().strip()  # type: ignore[union-attr]


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
