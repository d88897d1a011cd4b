"""The audit log: the consumer that turns `audit.recorded` outbox rows into chained entries and
publishes them live, and the admins' reads (search, verify, export).

The consumer is a durable consumer (server/services/consumers.py): it sees every audit record
once, in `relay_seq` order, one process at a time, from the beginning of the outbox. Per record
it appends one entry to Mongo `audit_log` (seq, hash chain) and records an `audit.entry` event on
the `admin:audit` stream, which commits with the consumer's offset and reaches the /admin room
`audit` through the spine (ordered, replayable). A batch run again after a crash finds the
entries it already wrote by their `source_seq` (the row's relay_seq: entries are appended in
that order) and publishes them again under the same event ids; nothing is appended twice.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.admin_audit import (
    GENESIS,
    AuditFilters,
    AuditPage,
    AuditQuery,
    ChainCheck,
    VerifyResult,
    build_entry,
    wire,
)
from server.domain.audit import AUDIT_EVENT_TYPE
from server.domain.cursors import decode_cursor, encode_cursor
from server.domain.events import ADMIN_AUDIT_STREAM, DomainEvent
from server.services.consumers import ConsumedEvent, Consumer, ConsumerBatch
from server.stores import admin_audit as store
from server.stores.admin_audit import LIVE_EVENT

CONSUMER = "audit"
BATCH = 500
_LIVE_IDS = uuid.UUID("0b6a4f53-7d0e-4c52-8d51-8c2b7d6f1a33")


class AuditLogWriter:
    """The consumer's handler. Entries of one batch are chained in memory and written with one
    bulk insert when the batch ends (before it commits)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self._batch: ConsumerBatch | None = None
        self._head: dict[str, Any] | None = None  # the newest entry, written or pending
        self._pending: list[dict[str, Any]] = []
        self._written: dict[int, dict[str, Any]] | None = None  # source_seq -> entry (retries)

    async def _begin(self, batch: ConsumerBatch) -> None:
        # Another process may have appended since our last batch: start from the stored head.
        self._batch, self._pending, self._written = batch, [], None
        self._head = await store.last(self.db)
        batch.before_commit.append(self._flush)

    async def _flush(self) -> None:
        await store.append_many(self.db, self._pending)

    async def __call__(self, batch: ConsumerBatch, event: ConsumedEvent) -> None:
        if batch is not self._batch:
            await self._begin(batch)
        head = self._head
        if head is not None and not self._pending and head["source_seq"] >= event.seq:
            entry = await self._already_written(event)
        else:
            entry = build_entry(
                seq=head["seq"] + 1 if head else 1,
                prev_hash=head["hash"] if head else GENESIS,
                event_id=event.id,
                source_seq=event.seq,
                at=event.occurred_at,
                data=event.data,
                context=event.context,
            )
            self._pending.append(entry)
            self._head = entry
        batch.record(
            DomainEvent(
                type=LIVE_EVENT,
                streams=(ADMIN_AUDIT_STREAM,),
                data=wire(entry),
                occurred_at=entry["at"],
                id=uuid.uuid5(_LIVE_IDS, str(entry["seq"])),
            )
        )

    async def _already_written(self, event: ConsumedEvent) -> dict[str, Any]:
        """A batch run again after its bulk insert but before its commit: its entries are the
        newest ones (at most a batch of them)."""
        if self._written is None:
            tail = await store.tail(self.db, BATCH)
            self._written = {e["source_seq"]: e for e in tail}
        entry = self._written.get(event.seq)
        if entry is None or entry["event_id"] != str(event.id):
            raise RuntimeError(f"audit record {event.id} is behind the log but not in it")
        return entry


def audit_consumer(db: AsyncDatabase) -> Consumer:
    return Consumer(
        name=CONSUMER,
        handlers={AUDIT_EVENT_TYPE: AuditLogWriter(db)},
        start="beginning",  # every audit record still in the outbox belongs in the log
        batch_size=BATCH,
    )


def _filters(query: AuditFilters) -> dict[str, Any]:
    return {
        "actor_id": str(query.actor_id) if query.actor_id else None,
        "action": query.action,
        "target_kind": query.target_kind,
        "target_id": query.target_id,
        "since": query.from_,
        "until": query.to,
    }


async def search(*, db: AsyncDatabase, query: AuditQuery) -> AuditPage:
    before = decode_cursor(query.cursor, int)[0] if query.cursor else None
    found = await store.page(db, before_seq=before, limit=query.limit + 1, **_filters(query))
    more = len(found) > query.limit
    found = found[: query.limit]
    return AuditPage(
        items=[wire(e) for e in found],
        next_cursor=encode_cursor(found[-1]["seq"]) if more and found else None,
    )


async def verify(*, db: AsyncDatabase, from_seq: int, to_seq: int | None) -> VerifyResult:
    """Recompute the chain over [from_seq, to_seq] (to the end by default); the first broken
    seq is named. The entry before the range anchors it (its own hash is not re-checked)."""
    anchor = GENESIS if from_seq == 1 else None
    if from_seq > 1 and (before := await store.entry(db, from_seq - 1)) is not None:
        anchor = before.get("hash")
    check = ChainCheck(first_seq=from_seq, prev_hash=anchor)
    async for entry in store.scan(db, from_seq=from_seq, to_seq=to_seq):
        if not check.feed(entry):
            break
    if check.broken is None and to_seq is not None and check.expected <= to_seq:
        head = await store.last(db)
        if head is not None and head["seq"] >= check.expected:
            check.fail(check.expected, "missing_or_reordered")  # a hole at the end of the range
    return VerifyResult(
        ok=check.broken is None,
        from_seq=from_seq,
        to_seq=to_seq,
        checked=check.checked,
        first_broken_seq=check.broken,
        reason=check.reason,
    )


async def export(*, db: AsyncDatabase, query: AuditFilters) -> AsyncIterator[dict[str, Any]]:
    async for entry in store.scan(db, **_filters(query)):
        yield entry
