"""What several benchmarks share: a Postgres URL for another database, and MongoDB (the
SecantusDB wire-protocol server) in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.auth import free_port
from server.stores.migrations import apply_migrations

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


@asynccontextmanager
async def scratch_database(prefix: str = "cc_bench") -> AsyncIterator[str]:
    """A fresh database with the migrations applied on the Postgres at TEST_DATABASE_URL (or
    127.0.0.1:5432), dropped afterwards; yields its URL."""
    admin = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    dsn = with_database(admin, name)
    try:
        conn = await asyncpg.connect(dsn)
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        yield dsn
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
