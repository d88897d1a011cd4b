"""How far behind the durable queues are: the outbox (relay) and the mail queue (mailer).

Read by the metrics sampler every few seconds from every process, so each query walks only the
partial index of pending rows, and counts stop at COUNT_CAP: past that, "a lot" is the answer
and counting further would only make a struggling database busier. Ages are measured against
the caller's clock (`now`), never the database's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

COUNT_CAP = 100_000


@dataclass(frozen=True)
class Backlog:
    pending: int
    retrying: int
    oldest_age_seconds: float  # 0 when nothing is pending


async def outbox_backlog(conn: asyncpg.Connection, *, now: datetime) -> Backlog:
    row = await conn.fetchrow(
        """
        SELECT
            (SELECT count(*) FROM (
                SELECT 1 FROM outbox WHERE relayed_at IS NULL LIMIT $1
            ) AS capped) AS pending,
            (SELECT occurred_at FROM outbox WHERE relayed_at IS NULL
             ORDER BY position LIMIT 1) AS oldest
        """,
        COUNT_CAP,
    )
    return _backlog(row["pending"], 0, row["oldest"], now)


async def mail_backlog(conn: asyncpg.Connection, *, now: datetime) -> Backlog:
    row = await conn.fetchrow(
        """
        SELECT count(*) AS pending,
               count(*) FILTER (WHERE attempts > 0) AS retrying,
               min(created_at) AS oldest
        FROM (
            SELECT attempts, created_at FROM mail_queue WHERE sent_at IS NULL
            ORDER BY next_attempt_at LIMIT $1
        ) AS capped
        """,
        COUNT_CAP,
    )
    return _backlog(row["pending"], row["retrying"], row["oldest"], now)


def _backlog(pending: int, retrying: int, oldest: datetime | None, now: datetime) -> Backlog:
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return Backlog(pending=pending, retrying=retrying, oldest_age_seconds=age)
