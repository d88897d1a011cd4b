"""The Postgres pool: what happens to a connection when it comes back."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import asyncpg
import pytest

from server.keys import PG_POOL
from server.pg_pool import open_pool, release_connection


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


async def _take(pool, name: str, order: list[str]):
    conn = await pool.acquire()
    order.append(name)
    return conn


async def test_waiters_get_connections_in_the_order_they_asked(database_url: str) -> None:
    """asyncpg's own queue lets a newcomer take a returned connection before the waiter it was
    woken for gets to run; the fair pool serves the waiter first."""
    pool = await open_pool(database_url, min_size=1, max_size=1)
    order: list[str] = []

    async def newcomer():
        # Polls every tick (no event to wait on): asks the moment a connection is back.
        while pool.get_idle_size() == 0:  # noqa: ASYNC110
            await asyncio.sleep(0)
        return await _take(pool, "newcomer", order)

    try:
        first = await pool.acquire()
        waiter = asyncio.create_task(_take(pool, "waiter", order))
        await asyncio.sleep(0.05)  # the waiter is queued
        racer = asyncio.create_task(newcomer())
        await asyncio.sleep(0)
        await pool.release(first)
        for task in asyncio.as_completed((waiter, racer), timeout=5):
            await pool.release(await task)
        assert order == ["waiter", "newcomer"]
    finally:
        await pool.close()


async def test_timeouts_and_cancelled_waiters_give_their_turn_back(database_url: str) -> None:
    pool = await open_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as held:
            with pytest.raises(TimeoutError):
                await pool.acquire(timeout=0.05)
            cancelled = asyncio.create_task(_take(pool, "cancelled", []))
            await asyncio.sleep(0.02)
            cancelled.cancel()
            await asyncio.gather(cancelled, return_exceptions=True)
            assert await held.fetchval("SELECT 1") == 1
        async with pool.acquire(timeout=1) as conn:  # the one turn is free again
            assert await conn.fetchval("SELECT 2") == 2
        assert await pool.fetchval("SELECT 3") == 3  # asyncpg's shortcuts go through it too
    finally:
        await pool.close()
