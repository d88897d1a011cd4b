"""One unit of work for every mutation: a transaction that commits the change, its domain
events and its audit records together.

    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        row = await store.update(uow.conn, ...)
        uow.record(event("course.updated", course_stream(cid), at=uow.now, ...))
        uow.audit("course.update", target=("course", cid), changes=changes_between(old, new))

On leaving the block without an exception the events and audit records are appended to the
outbox, stamped with the request context (actor, client address, request id), and the
transaction commits; on an exception nothing is written. The relay carries events to sockets
and durable consumers (notifications, the audit log) take them from there, so an audit entry
can't be lost after commit. A unit of work that records no audit action refuses to commit: it
is how "every mutation is audited" stays a property of the code rather than a habit. A call
that turns out to change nothing (an idempotent repeat, a replay, an empty batch) says so with
`uow.unchanged()`: its transaction is rolled back instead, so nothing unaudited can commit.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg

from server.domain.audit import AuditRecord, audit_event
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.events import DomainEvent
from server.pg_pool import Pool
from server.stores import outbox


class UnauditedMutation(RuntimeError):
    """A unit of work tried to commit without saying what it did (a programming error)."""


class _Discard(Exception):
    """Rolls back a unit of work that said it changed nothing."""


class UnitOfWork:
    def __init__(self, conn: asyncpg.Connection, now: datetime, context: RequestContext) -> None:
        self.conn = conn
        self.now = now  # one instant for the whole change
        self.context = context
        self.events: list[DomainEvent] = []
        self.audits: list[AuditRecord] = []
        self._unchanged = False

    @property
    def actor_id(self) -> uuid.UUID:
        return self.context.actor_id

    def identify(self, user_id: uuid.UUID) -> None:
        """An anonymous caller proved who they are (a login, a PIN, a reset token): from here
        on the unit acts as that user, from the same address and request."""
        self.context = self.context.as_user(user_id)

    def unchanged(self) -> None:
        """This call changed nothing: roll the transaction back rather than commit it, so
        nothing it may have written escapes the audit. Nothing may have been recorded."""
        self._unchanged = True

    def record(self, *events: DomainEvent) -> None:
        self.events.extend(events)

    def audit(
        self,
        action: str,
        *,
        target: tuple[str, uuid.UUID | str],
        changes: dict[str, list] | None = None,
    ) -> None:
        kind, target_id = target
        self.audits.append(AuditRecord(action, kind, str(target_id), changes or {}))

    async def _flush(self) -> None:
        if not self.audits:
            raise UnauditedMutation(
                "a unit of work must record at least one audit action (uow.audit) to commit"
            )
        pending = [*self.events, *(audit_event(a, at=self.now) for a in self.audits)]
        await outbox.append(self.conn, pending, context=self.context)


@asynccontextmanager
async def unit_of_work(
    *, pool: Pool, clock: Clock, context: RequestContext
) -> AsyncIterator[UnitOfWork]:
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                uow = UnitOfWork(conn, clock.now(), context)
                yield uow
                if uow._unchanged:
                    if uow.events or uow.audits:
                        raise RuntimeError("a unit of work that recorded changes is not unchanged")
                    raise _Discard
                await uow._flush()
        except _Discard:
            pass
