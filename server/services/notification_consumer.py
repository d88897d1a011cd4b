"""The notifications consumer: domain events in, inbox items, deliveries and live events out.

Per event, inside the consumer's batch transaction:
1. what the event says and to whom (server.domain.notification_rules; recipients by query);
2. each recipient's preferences, one Mongo read for all of them;
3. their unread counters, +1 each, which locks their rows until the batch commits (REST
   changes to the same inboxes wait, so the counts reach the stream in order);
4. the inbox items, one bulk insert (ids derived from the event and the recipient: a batch
   run again after a crash finds its items and recounts those users from the inbox);
5. then the deliveries, through `deliveries.enqueue` (idempotent the same way);
6. `notification.created` and `notification.unread_count` recorded for each inbox owner,
   appended to the outbox with the consumer's offset, so they travel the spine with a seq.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase

from server.domain.notification_plan import Plan, Recipient, created_event, plan, unread_event
from server.domain.notification_rules import TYPES, Audience, MalformedEvent, notice_for
from server.services.consumers import ConsumedEvent, Consumer, ConsumerBatch, HandlerRegistry
from server.stores import deliveries, notification_counters, notification_inbox
from server.stores import notification_preferences as preferences
from server.stores import notification_recipients as find

log = logging.getLogger("classconnect.notifications")

CONSUMER_NAME = "notifications"

# Who is told, by audience: a query on the batch's connection. The forum adds
# Audience.THREAD_FOLLOWERS (its followers table) through `notifications_consumer(audiences=)`;
# a type whose audience has no query is not handled (its events wait, unconsumed, until one is).
Resolver = Callable[[asyncpg.Connection, ConsumedEvent], Awaitable[list[uuid.UUID]]]


async def _event_user(conn: asyncpg.Connection, event: ConsumedEvent) -> list[uuid.UUID]:
    return [uuid.UUID(event.data["user_id"])]


async def _stream_users(conn: asyncpg.Connection, event: ConsumedEvent) -> list[uuid.UUID]:
    prefix = "user:"
    return [uuid.UUID(s[len(prefix) :]) for s in event.streams if s.startswith(prefix)]


def _by_course(query: Callable[[asyncpg.Connection, str], Awaitable[list[uuid.UUID]]]) -> Resolver:
    async def resolve(conn: asyncpg.Connection, event: ConsumedEvent) -> list[uuid.UUID]:
        return await query(conn, event.data["course_id"])

    return resolve


async def _rule_audience(conn: asyncpg.Connection, event: ConsumedEvent) -> list[uuid.UUID]:
    return await find.rule_audience(conn, event.data.get("applies_to", "all"))


AUDIENCES: dict[Audience, Resolver] = {
    Audience.EVENT_USER: _event_user,
    Audience.STREAM_USERS: _stream_users,
    Audience.COURSE_ACTIVE_STUDENTS: _by_course(find.course_active_students),
    Audience.COURSE_STAFF: _by_course(find.course_staff),
    Audience.COURSE_MEMBERS: _by_course(find.course_members),
    Audience.RULE_AUDIENCE: _rule_audience,
}


async def recipients_of(
    batch: ConsumerBatch, event: ConsumedEvent, resolve: Resolver
) -> list[uuid.UUID]:
    found = await resolve(batch.conn, event)
    if event.type == "deadline.reminder" and found:
        found = await find.without_submission(batch.conn, event.data["assignment_id"], found)
    if TYPES[event.type].skip_actor and event.actor_id is not None:
        found = [u for u in found if str(u) != event.actor_id]
    return found


async def _values(batch: ConsumerBatch, event: ConsumedEvent) -> dict[str, Any]:
    """The event's data and the names its text shows."""
    data = event.data
    facts = await find.facts(
        batch.conn,
        course_id=data.get("course_id"),
        assignment_id=data.get("assignment_id") if "title" not in data else None,
        user_id=data.get("student_id"),
    )
    values = dict(data)
    values["course"] = facts["course"] or data.get("title", "")
    values.setdefault("title", facts["assignment"] or "")
    values["student"] = facts["user_name"] or ""
    values["count"] = len(data.get("students") or [])
    return values


def notifications_consumer(
    db: AsyncDatabase,
    *,
    audiences: Mapping[Audience, Resolver] | None = None,
    on_deliveries: Callable[[], None] | None = None,
) -> Consumer:
    """`on_deliveries` is called after a batch that queued deliveries commits (the app wakes its
    delivery worker: they are due now, not at its next poll)."""
    resolvers = {**AUDIENCES, **(audiences or {})}
    registry = HandlerRegistry()

    @registry.on(*(t for t, spec in TYPES.items() if spec.audience in resolvers))
    async def notify(batch: ConsumerBatch, event: ConsumedEvent) -> None:
        try:
            notice = notice_for(event.type, event.data)
            if notice is None:
                return
            users = await recipients_of(batch, event, resolvers[TYPES[event.type].audience])
        except MalformedEvent as exc:
            log.warning(
                "event skipped: it lacks what its notification needs",
                extra={"event_id": str(event.id), "type": event.type, "reason": str(exc)},
            )
            return
        if not users:
            return
        emails = await find.contacts(batch.conn, users, active_only=not TYPES[event.type].critical)
        prefs = await preferences.load_many(db, emails)
        result = plan(
            event_id=event.id,
            seq=event.seq,
            notice=notice,
            values=await _values(batch, event),
            recipients=[Recipient(u, emails[u], prefs[u]) for u in emails],
            occurred_at=event.occurred_at,
            now=batch.now,
        )
        await write(batch, db, result)
        if result.deliveries and on_deliveries is not None:
            batch.after_commit.append(on_deliveries)

    return Consumer(name=CONSUMER_NAME, handlers=registry.handlers)


async def write(batch: ConsumerBatch, db: AsyncDatabase, result: Plan) -> None:
    """Inbox items, then deliveries, then each item's live events."""
    items = result.items
    # The owners' rows first: they order this against the owners' own inbox changes.
    counts = await notification_counters.add_one(batch.conn, result.inbox_users())
    # One after the other: side by side, the two bulk inserts contended in SecantusDB and took
    # 7.2 s for a rule to 10,000 users where in turn they take 4.2 s, and the inbox (what its
    # owners see) lands first (bench/notification_inbox.py).
    present = await notification_inbox.insert_many(db, items)
    await deliveries.enqueue(db, result.deliveries)
    if present:  # run before, up to the crash: count those inboxes as they are
        again = sorted({d["user_id"] for d in items if d["_id"] in present})
        recounted = await notification_inbox.unread_counts(db, again)
        await notification_counters.set_counts(batch.conn, recounted)
        counts.update(recounted)
    for doc in items:
        batch.record(
            created_event(doc, at=batch.now),
            unread_event(doc["user_id"], counts[doc["user_id"]], at=batch.now),
        )
