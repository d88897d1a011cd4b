"""Migrations apply in order, once, also when several runners race."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from server.stores.migrations import apply_migrations, load_migrations
from tests.conftest import _with_database


@pytest.fixture
async def empty_database(pg_admin_url):
    name = f"cc_mig_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(pg_admin_url, name)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def test_migrations_load_in_number_order():
    versions = [m.version for m in load_migrations()]
    assert versions and versions == sorted(set(versions))


async def test_concurrent_runners_apply_each_migration_once(empty_database):
    conns = [await asyncpg.connect(empty_database) for _ in range(4)]
    try:
        results = await asyncio.gather(*(apply_migrations(c) for c in conns))
        expected = [m.name for m in load_migrations()]
        assert sorted(results, key=len)[-1] == expected  # one runner did all the work
        assert sum(len(r) for r in results) == len(expected)  # nobody else did any
        rows = await conns[0].fetch("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [r["name"] for r in rows] == expected
        assert await apply_migrations(conns[0]) == []
    finally:
        for c in conns:
            await c.close()


async def test_a_failing_migration_leaves_nothing_half_done(empty_database, monkeypatch):
    from server.stores import migrations

    good = load_migrations()
    bad = migrations.Migration(
        len(good) + 1, "9999_bad.sql", "CREATE TABLE half (x int); SELECT 1/0;"
    )
    monkeypatch.setattr(migrations, "load_migrations", lambda: [*good, bad])
    conn = await asyncpg.connect(empty_database)
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrations.apply_migrations(conn)
        assert await conn.fetchval("SELECT to_regclass('half')") is None
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == len(good)
    finally:
        await conn.close()
