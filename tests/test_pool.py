"""The Postgres pool: what happens to a connection when it comes back."""

from __future__ import annotations

from contextlib import AsyncExitStack

import asyncpg

from server.app import release_connection
from server.keys import PG_POOL


async def test_a_transaction_left_open_is_rolled_back_on_release(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("BEGIN")  # unmanaged: what a bug would leave behind
        await conn.execute("CREATE TABLE pool_probe (x int)")
        await release_connection(conn)
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT to_regclass('pool_probe')") is None
    finally:
        await conn.close()


async def test_the_app_pool_releases_with_it(client) -> None:
    pool = client.app[PG_POOL]
    async with pool.acquire() as conn:
        pid = conn.get_server_pid()
        await conn.execute("BEGIN")
        await conn.execute("CREATE TABLE pool_probe (x int)")
    # Holding every connection the pool may open at once, the released one is among them.
    async with AsyncExitStack() as stack:
        held = [await stack.enter_async_context(pool.acquire()) for _ in range(pool.get_max_size())]
        (back,) = [c for c in held if c.get_server_pid() == pid]
        assert not back.is_in_transaction()
        assert await back.fetchval("SELECT to_regclass('pool_probe')") is None
