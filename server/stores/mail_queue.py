"""Queries of the durable email queue (see migrations/0020_mail_queue.sql).

`enqueue` runs inside the caller's transaction; the mailer claims due rows with FOR UPDATE SKIP
LOCKED and a lease, so several processes can deliver from one queue without sending an email
twice, and an email claimed by a process that died is delivered again once its lease expires.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from server.domain import emails

CHANNEL = "mail_queue"


@dataclass(frozen=True)
class QueuedEmail:
    id: uuid.UUID
    seq: int
    to: str
    template: str
    params: dict[str, Any]
    created_at: datetime
    attempts: int


async def enqueue(
    conn: asyncpg.Connection, *, to: str, template: str, params: dict, now: datetime
) -> uuid.UUID:
    """Queue one email in the caller's transaction; it is sent only if that transaction commits.

    Raises `server.domain.emails.UnknownTemplate` / `MissingTemplateParams` before writing.
    """
    emails.validate(template, params)
    email_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO mail_queue (id, to_address, template, params, created_at, next_attempt_at) "
        "VALUES ($1, $2, $3, $4::jsonb, $5, $5)",
        email_id,
        to,
        template,
        json.dumps(params, default=str),
        now,
    )
    # Postgres holds a NOTIFY until commit and drops it on rollback: the worker wakes exactly
    # when there is something committed to send.
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return email_id


def _row(r: asyncpg.Record) -> QueuedEmail:
    return QueuedEmail(
        id=r["id"],
        seq=r["seq"],
        to=r["to_address"],
        template=r["template"],
        params=json.loads(r["params"]),
        created_at=r["created_at"],
        attempts=r["attempts"],
    )


async def claim_due(
    conn: asyncpg.Connection, *, now: datetime, lease: timedelta, worker: str, limit: int
) -> list[QueuedEmail]:
    """Lease up to `limit` due emails to `worker` (oldest first); counts as an attempt."""
    rows = await conn.fetch(
        """
        UPDATE mail_queue m
           SET claimed_until = $2, claimed_by = $3, attempts = m.attempts + 1
          FROM (SELECT id FROM mail_queue
                 WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
                   AND (claimed_until IS NULL OR claimed_until <= $1)
                 ORDER BY seq
                 LIMIT $4
                 FOR UPDATE SKIP LOCKED) due
         WHERE m.id = due.id
     RETURNING m.id, m.seq, m.to_address, m.template, m.params, m.created_at, m.attempts
        """,
        now,
        now + lease,
        worker,
        limit,
    )
    return sorted((_row(r) for r in rows), key=lambda e: e.seq)


async def mark_sent(
    conn: asyncpg.Connection,
    *,
    email_id: uuid.UUID,
    worker: str,
    now: datetime,
    provider_id: str | None,
) -> bool:
    """Record delivery; False if the lease was lost (another worker owns the row now)."""
    status = await conn.execute(
        "UPDATE mail_queue SET sent_at = $3, provider_id = $4, claimed_until = NULL, "
        "last_error = NULL WHERE id = $1 AND claimed_by = $2 AND sent_at IS NULL",
        email_id,
        worker,
        now,
        provider_id,
    )
    return status.endswith(" 1")


async def mark_failed(
    conn: asyncpg.Connection,
    *,
    email_id: uuid.UUID,
    worker: str,
    now: datetime,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """Release the lease after a failed attempt; `retry_at=None` gives up for good."""
    status = await conn.execute(
        "UPDATE mail_queue SET claimed_until = NULL, last_error = $3, "
        "next_attempt_at = COALESCE($4, next_attempt_at), "
        "failed_at = CASE WHEN $4::timestamptz IS NULL THEN $5::timestamptz END "
        "WHERE id = $1 AND claimed_by = $2 AND sent_at IS NULL",
        email_id,
        worker,
        error[:2000],
        retry_at,
        now,
    )
    return status.endswith(" 1")


async def queued_since(
    conn: asyncpg.Connection, *, to: str, template: str, since: datetime
) -> bool:
    """Whether `to` was queued a `template` email at or after `since` (mail_queue_to index)."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM mail_queue WHERE to_address = $1 AND created_at >= $2 "
        "AND template = $3)",
        to,
        since,
        template,
    )


async def find(conn: asyncpg.Connection, email_id: uuid.UUID) -> asyncpg.Record | None:
    """The full row (tests and diagnostics)."""
    return await conn.fetchrow("SELECT * FROM mail_queue WHERE id = $1", email_id)
