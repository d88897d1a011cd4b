"""What several benchmarks share: a Postgres URL for another database, and MongoDB (the
SecantusDB wire-protocol server) in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from aiohttp import web

from bench.auth import free_port
from bench.http_load import costed, load
from server.domain.tokens import issue_access_token
from server.heap import freeze_after_startup
from server.keys import JWT_SECRET
from server.settings import Settings
from server.stores.migrations import apply_migrations

MONGO_SCRIPT = """
import sys, time
from secantus import SecantusDBServer
server = SecantusDBServer(host="127.0.0.1", port=int(sys.argv[2]), storage_path=sys.argv[1],
                          ttl_sweep_seconds=float(sys.argv[3]))
server.start()
print(server.uri, flush=True)
while True:
    time.sleep(3600)
"""


def start_mongo(data_dir: Path, *, ttl_sweep_seconds: float = 60.0) -> tuple[subprocess.Popen, str]:
    """The Mongo-wire server in its own process, as a real MongoDB would be: embedded in the
    server process its threads would compete with the event loop for the GIL.

    `ttl_sweep_seconds=0` turns off SecantusDB's TTL sweeper (60 s, its default): each pass
    decodes every document of a collection with a TTL index (`event_log`) under its storage
    lock, which stalled the relay's appends for up to a minute in bench/notifications_live.py.
    MongoDB's TTL monitor deletes through the index instead."""
    (data_dir / "mongo").mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            MONGO_SCRIPT,
            str(data_dir / "mongo"),
            str(port),
            str(ttl_sweep_seconds),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return proc, proc.stdout.readline().strip()  # type: ignore[union-attr]


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def load_against_floor(
    app: web.Application,
    *,
    viewer: uuid.UUID,
    paths: dict[str, str],
    loadgen: Callable[..., Awaitable[dict]],
    rounds: int,
    warm_up: int,
    concurrency: int,
) -> dict[str, list[dict]]:
    """Serve `app` (the real app, with the floor's route added) on a loopback port and load each
    of `paths` ({label: path}) as `viewer`, after a warm-up, in interleaved rounds so drift
    affects every target alike. Returns each label's rounds, with their CPU cost."""
    app.on_startup.append(freeze_after_startup)  # as `serve` does
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        token = issue_access_token(
            secret=app[JWT_SECRET],
            user_id=viewer,
            token_version=0,
            now=datetime.now(UTC),
            ttl=timedelta(hours=1),
        )
        targets = {label: f"http://127.0.0.1:{port}{path}" for label, path in paths.items()}
        for url in targets.values():  # open the pool's connections, warm both code paths
            await load(url, token, requests=warm_up, concurrency=concurrency)
        results: dict[str, list[Any]] = {label: [] for label in targets}
        for _ in range(rounds):
            for label, url in targets.items():
                results[label].append(await costed(partial(loadgen, url, token)))
        return results
    finally:
        await runner.cleanup()


def bench_settings(dsn: str, mongo_url: str, data_dir: Path) -> Settings:
    """The server as the HTTP benchmarks run it: quiet, a pool of 10-20, the given stores."""
    return Settings(
        _env_file=None,
        database_url=dsn,
        data_dir=data_dir,
        log_level="error",
        jwt_secret="bench-" + "x" * 40,
        db_pool_min=10,
        db_pool_max=20,
        mongodb_url=mongo_url,
    )  # type: ignore[call-arg]


def admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def migrated_database() -> AsyncIterator[str]:
    """A fresh database with every migration applied, dropped on the way out; yields its URL."""
    admin, name = admin_url(), f"cc_bench_{uuid.uuid4().hex[:8]}"
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


async def print_plan(conn: asyncpg.Connection, title: str, text: str, params: list[Any]) -> None:
    print(f"EXPLAIN ANALYZE of {title}:")
    for row in await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + text, *params):
        print("   ", row[0])
