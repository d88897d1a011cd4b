"""The event log (Mongo): one envelope per (event, stream) with a per-stream strictly
increasing `seq`, kept 7 days. See docs/event-spine.md.

Collections: `event_log` holds `{event_id, stream, seq, type, at, data}`; `event_log_heads` holds
per stream the last allocated seq (`seq`) and the last appended one (`appended`), both moved
after the insert; it never expires, so the server can tell a client that is behind the
retention window from one that is merely up to date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from server.stores.mongo_errors import DUPLICATE_KEY, refused_codes
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
    try:
        return await _append(db, items)
    except BulkWriteError as error:
        if DUPLICATE_KEY not in refused_codes(error):
            raise
        # The log is ahead of a head: a relay died between its insert and its head write, and
        # this batch is not that one retried (else its envelopes would have been reused). Bring
        # the heads up to the log and allocate again; what this try inserted is now reused.
        await _catch_up_heads(db, {i.stream for i in items})
        return await _append(db, items)


async def _append(db: AsyncDatabase, items: list[Pending]) -> list[dict[str, Any]]:
    ids = list({i.event_id for i in items})
    existing = {
        (d["event_id"], d["stream"]): d
        async for d in db[LOG].find({"event_id": {"$in": ids}}, {"_id": 0})
    }
    fresh: dict[str, list[Pending]] = defaultdict(list)
    for item in items:
        if (item.event_id, item.stream) not in existing:
            fresh[item.stream].append(item)
    lasts = await _last_seqs(db, list(fresh))
    docs = [
        {
            "event_id": item.event_id,
            "stream": stream,
            "seq": lasts[stream] + offset,
            "type": item.type,
            "at": item.at,
            "data": item.data,
        }
        for stream, pending in fresh.items()
        for offset, item in enumerate(pending, 1)
    ]
    if docs:
        await db[LOG].insert_many([dict(d) for d in docs], ordered=True)
    # Only now, with the envelopes in the log, do the heads move: a reader planning a replay
    # up to a head finds every seq below it. Reused envelopes count too (their first try may
    # have died before this write).
    await _advance_heads(db, [*existing.values(), *docs])
    by_key = {**existing, **{(d["event_id"], d["stream"]): d for d in docs}}
    # Recording order; within a stream that is also seq order.
    return [as_envelope(by_key[(i.event_id, i.stream)]) for i in items]


async def _last_seqs(db: AsyncDatabase, streams: list[str]) -> dict[str, int]:
    """Each stream's last allocated seq (0 for a new stream).

    Read, not reserved with an atomic `$inc`: the caller holds the relay lock, so nobody else
    allocates meanwhile, and the head is written once, after the insert (on SecantusDB a
    reservation was one more update per stream: 85 ms of a 200-user notification's 440 ms
    append). Were a second writer to slip in, the unique (stream, seq) index refuses the
    overlap and `append` catches the heads up. `seq` may run ahead of `appended` on logs
    written by the reserving version (a reservation its relay never used): a harmless gap.
    """
    if not streams:
        return {}
    found = find_in(db[HEADS], "_id", streams, projection={"seq": 1})
    known = {d["_id"]: int(d["seq"]) async for d in found}
    return {s: known.get(s, 0) for s in streams}


async def _advance_heads(db: AsyncDatabase, docs: list[dict[str, Any]]) -> None:
    last: dict[str, int] = {}
    for d in docs:
        last[d["stream"]] = max(last.get(d["stream"], 0), d["seq"])
    if not last:
        return
    await db[HEADS].bulk_write(
        [
            UpdateOne({"_id": s}, {"$max": {"seq": n, "appended": n}}, upsert=True)
            for s, n in last.items()
        ],
        ordered=False,
    )


async def _catch_up_heads(db: AsyncDatabase, streams: set[str]) -> None:
    """Move each stream's head up to the newest envelope in its log (a rare repair)."""
    newest = []
    for stream in streams:
        doc = await db[LOG].find_one(
            {"stream": stream}, {"_id": 0, "stream": 1, "seq": 1}, sort=[("seq", DESCENDING)]
        )
        if doc is not None:
            newest.append(doc)
    await _advance_heads(db, newest)


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
