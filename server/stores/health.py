"""Liveness probes against the stores."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from server.pg_pool import Pool


async def ping_postgres(pool: Pool) -> None:
    async with pool.acquire() as conn:
        await conn.fetchval("SELECT 1")


async def ping_mongo(db: AsyncDatabase) -> None:
    await db.command("ping")
