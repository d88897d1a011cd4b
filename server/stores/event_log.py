"""The event log (Mongo): one envelope per (event, stream) with a per-stream strictly
increasing `seq`, kept 7 days. See docs/event-spine.md.

Collections: `event_log` holds `{event_id, stream, seq, type, at, data}`; `event_log_heads` holds
per stream the last reserved seq (`seq`, the atomic counter) and the last appended one
(`appended`); it never expires, so the server can tell a client that is behind the retention
window from one that is merely up to date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from server.stores.mongo_in import find_in

LOG = "event_log"
HEADS = "event_log_heads"


@dataclass(frozen=True)
class Pending:
    """One event bound for one stream, not yet in the log."""

    event_id: str  # the outbox event's uuid, as text (portable across BSON uuid settings)
    stream: str
    type: str
    at: datetime
    data: dict[str, Any]


def as_envelope(doc: dict[str, Any]) -> dict[str, Any]:
    """The wire form every client receives: `{id, stream, seq, type, at, data}`."""
    return {
        "id": doc["event_id"],
        "stream": doc["stream"],
        "seq": doc["seq"],
        "type": doc["type"],
        "at": doc["at"].isoformat(),
        "data": doc["data"],
    }


async def append(db: AsyncDatabase, items: Iterable[Pending]) -> list[dict[str, Any]]:
    """Append each item once and return every item's envelope, in the order given.

    Idempotent by (event_id, stream): an item already in the log (a retry after a crash between
    this append and the outbox mark) keeps its seq and is not appended again. The caller holds
    the relay lock, so nobody else allocates seqs meanwhile.
    """
    items = list(items)
    if not items:
        return []
    ids = list({i.event_id for i in items})
    existing = {
        (d["event_id"], d["stream"]): d
        async for d in db[LOG].find({"event_id": {"$in": ids}}, {"_id": 0})
    }
    fresh: dict[str, list[Pending]] = defaultdict(list)
    for item in items:
        if (item.event_id, item.stream) not in existing:
            fresh[item.stream].append(item)
    firsts = await _reserve(db, {stream: len(pending) for stream, pending in fresh.items()})
    docs: list[dict[str, Any]] = []
    for stream, pending in fresh.items():
        for offset, item in enumerate(pending):
            docs.append(
                {
                    "event_id": item.event_id,
                    "stream": stream,
                    "seq": firsts[stream] + offset,
                    "type": item.type,
                    "at": item.at,
                    "data": item.data,
                }
            )
    if docs:
        await db[LOG].insert_many([dict(d) for d in docs], ordered=True)
        # Only now may readers plan a replay up to these seqs: `seq` was reserved before the
        # insert, and a reader that trusted it would take an in-flight append for expired data.
        appended: dict[str, int] = {}
        for d in docs:
            appended[d["stream"]] = max(appended.get(d["stream"], 0), d["seq"])
        await db[HEADS].bulk_write(
            [UpdateOne({"_id": s}, {"$max": {"appended": last}}) for s, last in appended.items()],
            ordered=False,
        )
    by_key = {**existing, **{(d["event_id"], d["stream"]): d for d in docs}}
    # Recording order; within a stream that is also seq order.
    return [as_envelope(by_key[(i.event_id, i.stream)]) for i in items]


async def _reserve(db: AsyncDatabase, counts: dict[str, int]) -> dict[str, int]:
    """Reserve a contiguous block of `counts[stream]` seqs on each stream; each block's first.

    One stream: one atomic `find_one_and_update`. Many (a notification to each of 500 users is
    500 streams): one bulk `$inc`, then the counters read back, a few round trips instead of one
    per stream (on SecantusDB those, with the per-stream `$max` after the insert, took 1.0-1.6 s
    of the 1.6-1.9 s a 200-user notification's relay batch took). Reading back is
    exact because the caller holds the relay lock; were another writer to move a counter in
    between, its block and ours would overlap and the unique (stream, seq) index would refuse
    the second insert: the batch fails and is retried, the order is never broken.
    """
    if not counts:
        return {}
    if len(counts) == 1:
        ((stream, n),) = counts.items()
        head = await db[HEADS].find_one_and_update(
            {"_id": stream}, {"$inc": {"seq": n}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        return {stream: head["seq"] - n + 1}
    await db[HEADS].bulk_write(
        [UpdateOne({"_id": s}, {"$inc": {"seq": n}}, upsert=True) for s, n in counts.items()],
        ordered=False,
    )
    found = find_in(db[HEADS], "_id", list(counts), projection={"seq": 1})
    reserved = {d["_id"]: d["seq"] async for d in found}
    return {s: reserved[s] - n + 1 for s, n in counts.items()}


async def heads(db: AsyncDatabase, streams: Iterable[str]) -> dict[str, int]:
    """The last seq appended on each stream (0 for a stream that never had an event); every
    seq up to it is in the log unless expired (or lost to a relay crash)."""
    names = list(streams)
    found = {d["_id"]: d.get("appended", 0) async for d in find_in(db[HEADS], "_id", names)}
    return {s: int(found.get(s, 0)) for s in names}


async def first_seq(db: AsyncDatabase, stream: str, *, after: int) -> int | None:
    """The oldest retained seq greater than `after`, or None when nothing is retained."""
    doc = await db[LOG].find_one(
        {"stream": stream, "seq": {"$gt": after}}, {"seq": 1}, sort=[("seq", ASCENDING)]
    )
    return None if doc is None else int(doc["seq"])


async def read_after(
    db: AsyncDatabase, stream: str, *, after: int, page: int = 200
) -> AsyncIterator[dict[str, Any]]:
    """Envelopes of `stream` with seq > after, oldest first, fetched a page at a time."""
    while True:
        cursor = (
            db[LOG]
            .find({"stream": stream, "seq": {"$gt": after}}, {"_id": 0}, sort=[("seq", ASCENDING)])
            .limit(page)
        )
        batch = await cursor.to_list(page)
        for doc in batch:
            yield as_envelope(doc)
        if len(batch) < page:
            return
        after = batch[-1]["seq"]


async def last_envelope(db: AsyncDatabase, stream: str) -> dict[str, Any] | None:
    doc = await db[LOG].find_one({"stream": stream}, {"_id": 0}, sort=[("seq", DESCENDING)])
    return None if doc is None else as_envelope(doc)
