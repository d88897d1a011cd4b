"""The audit log: the consumer that turns `audit.recorded` outbox rows into chained entries and
publishes them live, and the admins' reads (search, verify, export).

The consumer runs on the durable-consumer mechanism (rows in `relay_seq` order, one offset per
consumer): `record_batch` is its handler. It is idempotent, so a batch run again after a crash
(before the offset moved) neither duplicates an entry nor skips a seq: entries already written
are recognised by their event id, and publishing derives event ids from the seq.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.admin_audit import (
    GENESIS,
    AuditPage,
    AuditQuery,
    ChainCheck,
    VerifyResult,
    build_entry,
    wire,
)
from server.domain.audit import AUDIT_EVENT_TYPE
from server.domain.cursors import decode_cursor, encode_cursor
from server.pg_pool import Pool
from server.stores import admin_audit as store

CONSUMER = "audit"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def record_batch(*, pool: Pool, db: AsyncDatabase, rows: Sequence[Mapping]) -> int:
    """Append an entry per `audit.recorded` row (rows in relay_seq order) and publish them.
    Returns how many entries are new."""
    rows = [r for r in rows if r["type"] == AUDIT_EVENT_TYPE]
    if not rows:
        return 0
    known = await store.by_event_ids(db, [str(r["id"]) for r in rows])
    last = await store.last(db)
    seq, prev_hash = (last["seq"], last["hash"]) if last else (0, GENESIS)
    entries, new = [], []
    for row in rows:
        if (entry := known.get(str(row["id"]))) is None:
            seq += 1
            entry = build_entry(
                seq=seq,
                prev_hash=prev_hash,
                event_id=row["id"],
                at=row["occurred_at"],
                data=_json(row["data"]),
                context=_json(row["context"]),
            )
            prev_hash = entry["hash"]
            new.append(entry)
        entries.append(entry)
    await store.append(db, new)
    async with pool.acquire() as conn, conn.transaction():
        await store.publish(conn, entries)
    return len(new)


def _filters(query: AuditQuery) -> dict[str, Any]:
    return {
        "actor_id": str(query.actor_id) if query.actor_id else None,
        "action": query.action,
        "target_kind": query.target_kind,
        "target_id": query.target_id,
        "since": query.from_,
        "until": query.to,
    }


async def search(*, db: AsyncDatabase, query: AuditQuery) -> AuditPage:
    before = int(decode_cursor(query.cursor, 1)[0]) if query.cursor else None
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


async def export(*, db: AsyncDatabase, query: AuditQuery) -> AsyncIterator[dict[str, Any]]:
    async for entry in store.scan(db, **_filters(query)):
        yield entry
