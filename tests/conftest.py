"""Fixtures on real stores.

Postgres: TEST_DATABASE_URL, else 127.0.0.1:5432 when it answers, else an embedded pgserver. The
session works in a freshly created database with a unique name, dropped at the end, so parallel
runs never collide; each test starts from empty tables.
Mongo: one SecantusDB server for the session, a fresh database per test.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pymongo import AsyncMongoClient

from server.app import create_app
from server.domain.clock import ManualClock
from server.settings import Settings
from server.stores.migrations import apply_migrations

# Fixture modules; each feature adds its own (e.g. fake provider servers) here.
pytest_plugins = [
    "tests.factories",
    "tests.delivery_helpers",
    "tests.admin_helpers",
    "tests.walk_helpers",
    "tests.fakes.brevo",
    "tests.fakes.datadog_api",
    "tests.fakes.supabase_storage",
    "tests.fakes.fcm",
    "tests.fakes.google_certs",
    "tests.fakes.dogstatsd",
    "tests.fakes.trace_agent",
]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
    elif _answers("127.0.0.1", 5432):
        yield "postgresql://postgres@127.0.0.1:5432/postgres"
    else:
        from server import embedded

        server, dsn = embedded.start_postgres(tmp_path_factory.mktemp("pg"))
        yield dsn
        embedded.stop_postgres(server)


@pytest.fixture(scope="session")
def database_url(pg_admin_url: str) -> Iterator[str]:
    name = f"cc_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(pg_admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def create() -> None:
        await admin(f'CREATE DATABASE "{name}"')
        conn = await asyncpg.connect(_with_database(pg_admin_url, name))
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()

    asyncio.run(create())
    yield _with_database(pg_admin_url, name)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from secantus import SecantusDBServer

    server = SecantusDBServer(storage_path=str(tmp_path_factory.mktemp("mongo")))
    server.start()
    yield server.uri
    server.stop()


@pytest.fixture
async def clean_tables(database_url: str) -> None:
    """Every test starts from empty tables (the schema stays)."""
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'schema_migrations'"
        )
        if tables:
            names = ", ".join(f'"{t["tablename"]}"' for t in tables)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def mongo_database(mongo_url: str) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    client: AsyncMongoClient = AsyncMongoClient(mongo_url)
    try:
        await client.drop_database(name)
    finally:
        await client.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(
    database_url: str, mongo_url: str, mongo_database: str, tmp_path: Path, clean_tables: None
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        mongodb_url=mongo_url,
        mongodb_database=mongo_database,
        data_dir=tmp_path / "data",
        jwt_secret="test-secret-" + "x" * 40,
        db_pool_min=1,
        db_pool_max=5,
        # Durable consumers (notifications) add outbox rows and Mongo documents in the
        # background after every event; tests of them turn them on (tests/notifications).
        consumers_enabled=False,
    )


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> web.Application:
    return create_app(settings, clock=clock)


@pytest.fixture
async def client(aiohttp_client, app: web.Application) -> TestClient:
    return await aiohttp_client(app)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection for assertions on what was (not) written."""
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def mongo(mongo_url: str, mongo_database: str) -> AsyncIterator[object]:
    client: AsyncMongoClient = AsyncMongoClient(mongo_url, tz_aware=True)
    yield client[mongo_database]
    await client.close()
