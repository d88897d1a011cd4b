"""Operational read models: how far behind the durable queues are (for metrics and runbooks)."""

from __future__ import annotations

from datetime import datetime

from server.pg_pool import Pool
from server.stores.backlogs import Backlog, mail_backlog, outbox_backlog


async def queue_backlogs(*, pool: Pool, now: datetime) -> dict[str, Backlog]:
    """The outbox and mail-queue backlogs, read in one snapshot."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        return {
            "outbox": await outbox_backlog(conn, now=now),
            "mail": await mail_backlog(conn, now=now),
        }
