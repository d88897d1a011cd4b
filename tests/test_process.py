"""Real `classconnect serve` processes: restarts keep data; two starting together migrate once."""

from __future__ import annotations

import json
import urllib.request
import uuid

import asyncpg
import pytest
from pymongo import AsyncMongoClient

from server.stores.migrations import load_migrations
from tests.conftest import _with_database
from tests.process import ServerProcess, free_port


def get_json(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, json.loads(resp.read())


async def test_embedded_restart_keeps_data(tmp_path):
    data_dir = tmp_path / "var"
    mongo_port = free_port()
    env = {
        "DATA_DIR": str(data_dir),
        "EMBEDDED_MONGO_PORT": str(mongo_port),
        "DATABASE_URL": "",
        "MONGODB_URL": "",
    }
    server = ServerProcess(env, tmp_path / "serve.log").start()
    try:
        server.wait_ready()
        status, body = get_json(server.url + "/readyz")
        assert status == 200 and body["checks"] == {"postgres": "ok", "mongo": "ok"}
        pg_dsn = f"postgresql://postgres@/postgres?host={data_dir.resolve() / 'postgres'}"
        conn = await asyncpg.connect(pg_dsn)
        await conn.execute(
            "INSERT INTO outbox (id, type, streams, data, occurred_at) "
            "VALUES ($1, 'probe.kept', '{global}', '{}', now())",
            uuid.uuid4(),
        )
        await conn.close()
        mongo = AsyncMongoClient(f"mongodb://127.0.0.1:{mongo_port}/")
        await mongo.classconnect.probe.insert_one({"kept": True})
        await mongo.close()
    finally:
        assert server.stop() == 0

    again = ServerProcess({**env, "PORT": str(server.port)}, tmp_path / "serve.log").start()
    try:
        again.wait_ready()
        conn = await asyncpg.connect(pg_dsn)
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE type = 'probe.kept'") == 1
        await conn.close()
        mongo = AsyncMongoClient(f"mongodb://127.0.0.1:{mongo_port}/")
        assert await mongo.classconnect.probe.count_documents({"kept": True}) == 1
        await mongo.close()
    finally:
        assert again.stop() == 0


@pytest.fixture
async def empty_database(pg_admin_url):
    name = f"cc_two_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(pg_admin_url, name)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def test_two_processes_on_one_empty_database_migrate_once(
    tmp_path, empty_database, mongo_url
):
    env = {
        "DATABASE_URL": empty_database,
        "MONGODB_URL": mongo_url,
        "MONGODB_DATABASE": f"two_{uuid.uuid4().hex[:6]}",
        "DATA_DIR": str(tmp_path),
    }
    servers = [ServerProcess(env, tmp_path / f"serve{i}.log").start() for i in range(2)]
    try:
        for s in servers:
            s.wait_ready()
            assert get_json(s.url + "/readyz")[0] == 200
    finally:
        codes = [s.stop() for s in servers]
    assert codes == [0, 0]
    conn = await asyncpg.connect(empty_database)
    rows = await conn.fetch("SELECT version, count(*) AS n FROM schema_migrations GROUP BY version")
    await conn.close()
    assert sorted(r["version"] for r in rows) == [m.version for m in load_migrations()]
    assert all(r["n"] == 1 for r in rows)


def test_the_embedded_mongo_sweeps_expired_envelopes_hourly(tmp_path):
    # Contract with SecantusDB's storage (a private attribute, version pinned in the lock): each
    # sweep reads the whole event log under its storage lock, so the embedded server runs it
    # hourly, not every minute (its default).
    from server.embedded import EMBEDDED_TTL_SWEEP, start_mongo, stop_mongo

    server, _ = start_mongo(tmp_path)
    try:
        assert server.storage._ttl_sweep_seconds == EMBEDDED_TTL_SWEEP == 3600
    finally:
        stop_mongo(server)
