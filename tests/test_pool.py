"""The Postgres pool: fairness, what happens to a connection when it comes back, failures."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import asyncpg
import pytest

from server.keys import PG_POOL
from server.pg_pool import Pool, open_pool


@pytest.fixture
async def pool(database_url: str):
    """A pool of one connection: every second request waits."""
    pool = await open_pool(database_url, min_size=1, max_size=1)
    yield pool
    await pool.close()


async def test_a_transaction_left_open_is_rolled_back_on_release(pool: Pool) -> None:
    async with pool.acquire() as conn:
        pid = conn.get_server_pid()
        tx = conn.transaction()
        await tx.start()  # unmanaged, never ended: what a bug would leave behind
        await conn.execute("CREATE TABLE pool_probe (x int)")
    async with pool.acquire() as conn:
        assert conn.get_server_pid() != pid  # closed, which rolled it back
        async with conn.transaction():  # and no stale transaction state carried over
            assert await conn.fetchval("SELECT to_regclass('pool_probe')") is None
    assert pool.get_size() == 1


async def test_the_app_pool_releases_with_it(client) -> None:
    pool = client.app[PG_POOL]
    async with pool.acquire() as conn:
        pid = conn.get_server_pid()
        await conn.execute("BEGIN")
        await conn.execute("CREATE TABLE pool_probe (x int)")
    # Holding every connection the pool may open at once, the released one is not among them.
    async with AsyncExitStack() as stack:
        held = [await stack.enter_async_context(pool.acquire()) for _ in range(pool.get_max_size())]
        assert pid not in {c.get_server_pid() for c in held}
        assert not any(c.is_in_transaction() for c in held)
        assert await held[0].fetchval("SELECT to_regclass('pool_probe')") is None


async def _take(pool: Pool, name: str, order: list[str]) -> asyncpg.Connection:
    conn = await pool.acquire()
    order.append(name)
    return conn


async def test_waiters_get_connections_in_the_order_they_asked(pool: Pool) -> None:
    """asyncpg's own queue lets a newcomer take a returned connection before the waiter it was
    woken for gets to run; this pool serves the waiter first."""
    order: list[str] = []

    async def newcomer() -> asyncpg.Connection:
        # Polls every tick (no event to wait on): asks the moment a connection is back.
        while pool.get_idle_size() == 0:  # noqa: ASYNC110
            await asyncio.sleep(0)
        return await _take(pool, "newcomer", order)

    first = await pool.acquire()
    waiter = asyncio.create_task(_take(pool, "waiter", order))
    await asyncio.sleep(0.05)  # the waiter is queued
    racer = asyncio.create_task(newcomer())
    await asyncio.sleep(0)
    await pool.release(first)
    for task in asyncio.as_completed((waiter, racer), timeout=5):
        await pool.release(await task)
    assert order == ["waiter", "newcomer"]


async def test_timeouts_and_cancelled_waiters_give_their_turn_back(pool: Pool) -> None:
    async with pool.acquire() as held:
        with pytest.raises(TimeoutError):
            await pool.acquire(timeout=0.05)
        cancelled = asyncio.create_task(_take(pool, "cancelled", []))
        await asyncio.sleep(0.02)
        assert pool.get_waiting_count() == 1
        cancelled.cancel()
        await asyncio.gather(cancelled, return_exceptions=True)
        assert pool.get_waiting_count() == 0
        assert await held.fetchval("SELECT 1") == 1
    async with pool.acquire(timeout=1) as conn:  # the one turn is free again
        assert await conn.fetchval("SELECT 2") == 2
    assert await pool.fetchval("SELECT 3") == 3
    assert pool.get_size() == 1


async def test_a_connection_handed_to_a_waiter_cancelled_in_between_goes_to_the_next(
    pool: Pool,
) -> None:
    first = await pool.acquire()
    order: list[str] = []
    a = asyncio.create_task(_take(pool, "a", order))
    b = asyncio.create_task(_take(pool, "b", order))
    await asyncio.sleep(0.02)  # both wait
    await pool.release(first)  # handed to a, which has not run yet...
    a.cancel()  # ...and gives up before it does
    conn = await asyncio.wait_for(b, 5)
    assert order == ["b"] and a.cancelled()
    assert await conn.fetchval("SELECT 1") == 1
    await pool.release(conn)
    assert (pool.get_size(), pool.get_idle_size()) == (1, 1)


async def test_a_block_cancelled_mid_query_does_not_return_its_connection(pool: Pool) -> None:
    async with pool.acquire() as conn:
        busy_pid = conn.get_server_pid()

    async def slow() -> None:
        async with pool.acquire() as conn:
            await conn.execute("SELECT pg_sleep(10)")

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.2)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    with pytest.raises(TimeoutError):  # the same for a timeout inside the block
        async with pool.acquire() as conn, asyncio.timeout(0.1):
            await conn.execute("SELECT pg_sleep(10)")
    async with pool.acquire(timeout=5) as conn:
        assert conn.get_server_pid() != busy_pid
        assert await conn.fetchval("SELECT 4") == 4
    assert pool.get_size() == 1


async def test_a_connection_the_server_closed_is_replaced(database_url: str) -> None:
    pool = await open_pool(database_url, min_size=2, max_size=2)
    admin = await asyncpg.connect(database_url)
    try:
        async with pool.acquire() as a, pool.acquire() as b:
            pids = {a.get_server_pid(), b.get_server_pid()}
        # One dies while idle, the other while lent.
        async with pool.acquire() as lent:
            idle_pid = (pids - {lent.get_server_pid()}).pop()
            doomed = [idle_pid, lent.get_server_pid()]
            await admin.execute("SELECT pg_terminate_backend(p) FROM unnest($1::int[]) p", doomed)
            while await admin.fetchval(  # noqa: ASYNC110 (the server has no event to wait on)
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", doomed
            ):
                await asyncio.sleep(0.01)
            # Which error depends on when asyncpg notices.
            with pytest.raises(
                (
                    asyncpg.PostgresError,
                    asyncpg.InterfaceError,
                    asyncpg.InternalClientError,
                    OSError,
                )
            ):
                await lent.fetchval("SELECT 1")
        await asyncio.sleep(0.1)  # the idle one's socket reports the close
        async with pool.acquire(timeout=5) as a, pool.acquire(timeout=5) as b:
            assert {a.get_server_pid(), b.get_server_pid()}.isdisjoint(pids)
            assert await a.fetchval("SELECT 5") == await b.fetchval("SELECT 5") == 5
        assert pool.get_size() == 2
    finally:
        await admin.close()
        await pool.close()


async def test_a_discarded_connection_lets_a_waiter_open_a_new_one(pool: Pool) -> None:
    conn = await pool.acquire()
    waiter = asyncio.create_task(_take(pool, "waiter", []))
    await asyncio.sleep(0.02)
    await pool.release(conn, discard=True)
    fresh = await asyncio.wait_for(waiter, 5)
    assert fresh is not conn and await fresh.fetchval("SELECT 6") == 6
    await pool.release(fresh)
    assert pool.get_size() == 1
    with pytest.raises(asyncpg.InterfaceError):  # released twice
        await pool.release(fresh)
    assert pool.get_idle_size() == 1


async def test_connections_past_their_lifetime_are_replaced(database_url: str) -> None:
    pool = await Pool(database_url, min_size=1, max_size=1, max_lifetime=0.0).start()
    try:
        async with pool.acquire() as conn:
            first = conn.get_server_pid()
        async with pool.acquire() as conn:
            assert conn.get_server_pid() != first
    finally:
        await pool.close()


async def test_close_waits_for_lent_connections_and_refuses_new_work(pool: Pool) -> None:
    lent = await pool.acquire()
    waiter = asyncio.create_task(_take(pool, "waiter", []))
    await asyncio.sleep(0.02)
    closing = asyncio.create_task(pool.close())
    await asyncio.sleep(0.02)
    with pytest.raises(asyncpg.InterfaceError):
        await waiter
    with pytest.raises(asyncpg.InterfaceError):
        await pool.acquire()
    assert not closing.done()  # still waiting for the lent connection
    assert await lent.fetchval("SELECT 7") == 7
    await pool.release(lent)
    await asyncio.wait_for(closing, 5)
    assert lent.is_closed() and pool.get_size() == 0


async def test_a_pool_that_cannot_connect_fails_to_start() -> None:
    with pytest.raises((OSError, asyncpg.PostgresError)):
        await open_pool("postgresql://nobody@127.0.0.1:1/none", min_size=1, max_size=2)
