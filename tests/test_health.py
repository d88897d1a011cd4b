"""/healthz and /readyz against real stores, including each store going away."""

from __future__ import annotations

import uuid

import asyncpg
from secantus import SecantusDBServer

from server.app import create_app
from tests.conftest import _with_database


async def test_healthz(client):
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok"}


async def test_readyz_ok_with_both_stores(client):
    resp = await client.get("/readyz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok", "checks": {"postgres": "ok", "mongo": "ok"}}


async def test_readyz_503_names_mongo_when_it_is_gone(aiohttp_client, settings, tmp_path):
    mongo = SecantusDBServer(storage_path=str(tmp_path / "m"))
    mongo.start()
    settings.mongodb_url = mongo.uri + "?serverSelectionTimeoutMS=500"
    client = await aiohttp_client(create_app(settings))
    assert (await client.get("/readyz")).status == 200
    mongo.stop()
    resp = await client.get("/readyz")
    assert resp.status == 503
    body = await resp.json()
    assert body["error"]["code"] == "not_ready"
    failed = {d["check"] for d in body["error"]["details"]}
    assert failed == {"mongo"}


async def test_readyz_503_names_postgres_when_it_is_gone(aiohttp_client, settings, pg_admin_url):
    name = f"cc_gone_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        settings.database_url = _with_database(pg_admin_url, name)
        client = await aiohttp_client(create_app(settings))
        assert (await client.get("/readyz")).status == 200
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        resp = await client.get("/readyz")
        assert resp.status == 503
        body = await resp.json()
        assert {d["check"] for d in body["error"]["details"]} == {"postgres"}
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
