"""The delivery side of `notification_deliveries`: leased claims, outcomes, the user's log.

Mongo has no `SKIP LOCKED`, so a claim is two steps: pick due ids, then flip them to `sending`
with a filter that repeats the due condition. Each document's update is atomic, so of two
workers racing for one delivery exactly one flips it; each then reads back what it holds by its
claim token. A delivery left `sending` by a dead worker is due again once `lease_until` passes.

Email deliveries handed to a batch (`server/stores/email_batches.py`) carry its id in `batch`
and are claimed through the batch from then on, never one by one: a batch is re-sent whole,
under the same idempotency key.

Every outcome is written only while the caller still holds the lease (`worker` matches and the
status is `sending`), and appends an entry (time, outcome, provider answer) to the delivery's
`log`, which keeps the last `LOG_ENTRIES`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import DESCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from server.stores.deliveries import DELIVERIES
from server.stores.mongo_in import chunks, find_in

LOG_ENTRIES = 20


async def _update_by_ids(
    db: AsyncDatabase, ids: Sequence[str], where: dict[str, Any], update: dict[str, Any]
) -> int:
    """`update_many` of the documents among `ids` that still match `where`."""
    modified = 0
    for part in chunks(ids):
        result = await db[DELIVERIES].update_many({"_id": {"$in": part}, **where}, update)
        modified += result.modified_count
    return modified


def due_shapes(now: datetime) -> list[dict[str, Any]]:
    """What "due" means, as plain filters (no top-level `$or`, so each one rides an index):
    waiting and past `not_before`, or `sending` past its lease (its worker died).

    A queued delivery never belongs to a batch (a batch is formed from claimed ones and keeps
    its members only when it fails), so the queued shape needs no `batch: null`, and on
    SecantusDB that matters: it rides a compound index only when the filter's equalities fill
    the index's prefix, and with `batch` outside `due` it read every queued delivery on every
    poll (3,000 pushes held for the grace: 120 ms a claim; 3 ms without it)."""
    return [
        {"status": "queued", "not_before": {"$lte": now}},
        {"status": "failed", "not_before": {"$lte": now}, "batch": None},
        {"status": "sending", "lease_until": {"$lte": now}, "batch": None},
    ]


async def claim(
    db: AsyncDatabase,
    *,
    now: datetime,
    lease_until: datetime,
    worker: str,
    limit: int,
    where: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Lease up to `limit` due deliveries (earliest due first) matching `where` to `worker`."""
    token = uuid.uuid4().hex
    claimed: list[str] = []
    for shape in due_shapes(now):
        if len(claimed) >= limit:
            break
        due = {**(where or {}), **shape}  # `where`'s fields first: the index picked is theirs
        ids = [
            d["_id"]
            async for d in db[DELIVERIES]
            .find(due, {"_id": 1})
            .sort([("not_before", 1), ("_id", 1)])
            .limit(limit - len(claimed))
        ]
        if not ids:
            continue
        # By key, re-checking the due condition: of two racing workers, one flips each.
        await _update_by_ids(
            db,
            ids,
            due,
            {
                "$set": {
                    "status": "sending",
                    "lease_until": lease_until,
                    "worker": worker,
                    "claim": token,
                    "updated_at": now,
                }
            },
        )
        claimed += ids
    if not claimed:
        return []
    return [d async for d in find_in(db[DELIVERIES], "_id", claimed, {"claim": token})]


def _held(worker: str) -> dict[str, Any]:
    return {"worker": worker, "status": "sending"}


def _entry(now: datetime, outcome: str, **detail: Any) -> dict[str, Any]:
    return {"at": now, "outcome": outcome, **{k: v for k, v in detail.items() if v is not None}}


def _push_log(entry: dict[str, Any]) -> dict[str, Any]:
    return {"log": {"$each": [entry], "$slice": -LOG_ENTRIES}}


async def _release(
    db: AsyncDatabase,
    ids: Sequence[str],
    *,
    worker: str,
    now: datetime,
    fields: dict[str, Any],
    entry: dict[str, Any],
) -> int:
    """Give up the lease on deliveries this worker holds, setting `fields` and logging `entry`."""
    if not ids:
        return 0
    return await _update_by_ids(
        db,
        ids,
        _held(worker),
        {
            "$set": {**fields, "updated_at": now},
            "$unset": {"lease_until": "", "claim": ""},
            "$push": _push_log(entry),
        },
    )


async def postpone(
    db: AsyncDatabase,
    ids: Sequence[str],
    *,
    worker: str,
    now: datetime,
    until: datetime,
    hold: str,
) -> int:
    """Back to `queued` until `until`: held for a digest, quiet hours or the push grace."""
    fields = {"status": "queued", "not_before": until, "hold": hold}
    entry = _entry(now, "held", hold=hold, until=until)
    return await _release(db, ids, worker=worker, now=now, fields=fields, entry=entry)


async def assign_batch(
    db: AsyncDatabase, ids: Sequence[str], *, worker: str, batch: str, lease_until: datetime
) -> int:
    return await _update_by_ids(
        db, ids, _held(worker), {"$set": {"batch": batch, "lease_until": lease_until}}
    )


async def mark_sent(
    db: AsyncDatabase,
    sent: dict[str, dict[str, Any]],
    *,
    worker: str | None,
    now: datetime,
) -> int:
    """`sent` maps delivery ids to what the provider answered (message ids, devices...).
    `worker=None` is a batch's outcome: the batch's lease covers its members."""
    if not sent:
        return 0
    ops = [
        UpdateOne(
            _owned(delivery_id, worker),
            {
                "$set": {"status": "sent", "sent_at": now, "updated_at": now, "provider": answer},
                "$unset": {"lease_until": "", "claim": "", "last_error": "", "batch": ""},
                "$inc": {"attempts": 1},
                "$push": _push_log(_entry(now, "sent", provider=answer)),
            },
        )
        for delivery_id, answer in sent.items()
    ]
    result = await db[DELIVERIES].bulk_write(ops, ordered=False)
    return result.modified_count


def _owned(delivery_id: str, worker: str | None) -> dict[str, Any]:
    if worker is None:
        return {"_id": delivery_id, "status": "sending"}
    return {"_id": delivery_id, "worker": worker, "status": "sending"}


async def mark_failed(
    db: AsyncDatabase,
    ids: Sequence[str],
    *,
    worker: str | None,
    now: datetime,
    error: str,
    retry_at: datetime | None,
    keep_batch: bool = False,
    solo: bool = False,
) -> int:
    """A failed attempt: `failed` until `retry_at`, or `dead` when `retry_at` is None.
    `solo` sends each one alone next time (a batch refused as a whole)."""
    if not ids:
        return 0
    status = "failed" if retry_at is not None else "dead"
    fields: dict[str, Any] = {"status": status, "last_error": error[:2000], "updated_at": now}
    if retry_at is not None:
        fields["not_before"] = retry_at
    if solo:
        fields["solo"] = True
    unset = {"lease_until": "", "claim": ""} | ({} if keep_batch else {"batch": ""})
    where: dict[str, Any] = {"status": "sending"} if worker is None else _held(worker)
    return await _update_by_ids(
        db,
        ids,
        where,
        {
            "$set": fields,
            "$unset": unset,
            "$inc": {"attempts": 1},
            "$push": _push_log(_entry(now, status, error=error[:500], retry_at=retry_at)),
        },
    )


async def mark_skipped(
    db: AsyncDatabase, ids: Sequence[str], *, worker: str, now: datetime, reason: str
) -> int:
    fields = {"status": "skipped", "reason": reason}
    entry = _entry(now, "skipped", reason=reason)
    return await _release(db, ids, worker=worker, now=now, fields=fields, entry=entry)


async def record_devices(
    db: AsyncDatabase, delivery_id: str, *, worker: str, done: Sequence[str]
) -> None:
    """Remember the devices a push reached, so a retry sends only to the others."""
    await db[DELIVERIES].update_one(
        _owned(delivery_id, worker), {"$addToSet": {"done_tokens": {"$each": list(done)}}}
    )


async def page_for_user(
    db: AsyncDatabase,
    user_id: uuid.UUID,
    *,
    channel: str | None,
    status: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The user's deliveries, newest first, after the keyset `after` (created_at, id)."""
    query: dict[str, Any] = {"user_id": str(user_id)}
    if channel is not None:
        query["channel"] = channel
    if status is not None:
        query["status"] = status
    if after is not None:
        at, last_id = after
        query["$or"] = [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": last_id}}]
    cursor = (
        db[DELIVERIES]
        .find(query, {"title": 0, "body": 0, "data": 0, "extra": 0, "email": 0, "claim": 0})
        .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        .limit(limit)
    )
    return [d async for d in cursor]


async def read_notifications(db: AsyncDatabase, notification_ids: Sequence[str]) -> set[str]:
    """Which of these notifications their user has read in the app (the inbox's `read_at`)."""
    read = {"read_at": {"$ne": None}}
    found = find_in(db["notifications"], "_id", notification_ids, read, {"_id": 1})
    return {str(d["_id"]) async for d in found}
