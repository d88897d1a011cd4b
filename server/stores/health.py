"""Liveness probes against the stores."""

from __future__ import annotations

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase


async def ping_postgres(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.fetchval("SELECT 1")


async def ping_mongo(db: AsyncDatabase) -> None:
    await db.command("ping")
