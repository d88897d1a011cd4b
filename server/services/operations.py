"""Operational read models: how far behind the durable queues are (for metrics and runbooks):
the outbox and the mail queue (Postgres), notification deliveries (Mongo)."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from server.pg_pool import Pool
from server.stores import delivery_backlogs as deliveries
from server.stores.backlogs import Backlog, mail_backlog, outbox_backlog


async def queue_backlogs(*, pool: Pool, now: datetime) -> dict[str, Backlog]:
    """The outbox and mail-queue backlogs, read in one snapshot."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        return {
            "outbox": await outbox_backlog(conn, now=now),
            "mail": await mail_backlog(conn, now=now),
        }


async def delivery_backlogs(
    *, db: AsyncDatabase, now: datetime
) -> dict[str, deliveries.DeliveryBacklog]:
    """Notification deliveries due, held and late, per channel (Mongo)."""
    return await deliveries.delivery_backlogs(db, now=now)
