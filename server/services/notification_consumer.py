"""The notifications consumers: domain events in; inbox items and live events out of one,
email and push deliveries out of the other.

Both plan each event alike, inside their own batch transaction:
1. what the event says and to whom (server.domain.notification_rules; recipients by query);
2. each recipient's preferences, from Mongo (`notification_preferences.load_many`);
3. the plan (server.domain.notification_plan), every id derived from the event and the
   recipient, so either consumer's batch run again after a crash writes nothing twice.

`notifications` then takes its recipients' unread counters, +1 each (their rows stay locked
until the batch commits: REST changes to the same inboxes wait, so the counts reach the
stream in order), inserts the inbox items in bulk (a batch run again finds its items and
recounts those users from the inbox) and records `notification.created` and
`notification.unread_count` for each item, appended to the outbox with its offset, so they
travel the spine with a seq. `notification_deliveries` queues the deliveries
(`deliveries.enqueue`, idempotent the same way), each already held when the delivery worker's
first look would hold it (a digest, quiet hours, the push grace for a user with a live socket).
Each has its own offset: the inbox does not wait for the deliveries, nor they for it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase

from server.domain.deliveries import NewDelivery
from server.domain.delivery_plan import held_when_queued
from server.domain.notification_plan import (
    Part,
    Plan,
    Recipient,
    created_event,
    plan,
    unread_event,
)
from server.domain.notification_preferences import NotificationPreferences
from server.domain.notification_rules import TYPES, Audience, MalformedEvent, Notice, notice_for
from server.services.consumers import (
    ConsumedEvent,
    Consumer,
    ConsumerBatch,
    Handler,
    HandlerRegistry,
)
from server.stores import deliveries, notification_counters, notification_inbox, presence
from server.stores import notification_preferences as preferences
from server.stores import notification_recipients as find

log = logging.getLogger("classconnect.notifications")

CONSUMER_NAME = "notifications"
DELIVERIES_CONSUMER_NAME = "notification_deliveries"

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


@dataclass(frozen=True)
class Addressed:
    """An event's notice, whom it reaches (with their email) and the values its text shows."""

    event: ConsumedEvent
    notice: Notice
    emails: dict[uuid.UUID, str]
    values: dict[str, Any]

    def plan(self, prefs: Mapping[uuid.UUID, NotificationPreferences], *, now: datetime,
             part: Part) -> Plan:  # fmt: skip
        return plan(
            event_id=self.event.id,
            seq=self.event.seq,
            notice=self.notice,
            values=self.values,
            recipients=[Recipient(u, email, prefs[u]) for u, email in self.emails.items()],
            occurred_at=self.event.occurred_at,
            now=now,
            parts=frozenset((part,)),
        )


Act = Callable[[ConsumerBatch, Addressed], Awaitable[None]]


def _handlers(audiences: Mapping[Audience, Resolver] | None, act: Act) -> dict[str, Handler]:
    """A handler for every type whose audience has a query: it finds whom the event reaches
    and, when anyone, `act`s. Both consumers address and plan an event alike (ids derived from
    the event and the recipient) and each writes its own part."""
    resolvers = {**AUDIENCES, **(audiences or {})}
    registry = HandlerRegistry()

    @registry.on(*(t for t, spec in TYPES.items() if spec.audience in resolvers))
    async def handle(batch: ConsumerBatch, event: ConsumedEvent) -> None:
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
        if emails:
            await act(batch, Addressed(event, notice, emails, await _values(batch, event)))

    return registry.handlers


def notifications_consumer(
    db: AsyncDatabase, *, audiences: Mapping[Audience, Resolver] | None = None
) -> Consumer:
    """The inbox and its live events: what the recipients see first."""

    async def notify(batch: ConsumerBatch, found: Addressed) -> None:
        # The recipients' counter rows are taken (+1) while their preferences load, before
        # any of their items is written: that orders this against their own inbox changes.
        # The few who turned the inbox off for this type give theirs back below.
        async with asyncio.TaskGroup() as both:
            loading = both.create_task(preferences.load_many(db, found.emails))
            counting = both.create_task(notification_counters.add(batch.conn, found.emails))
        result = found.plan(loading.result(), now=batch.now, part="items")
        counts = counting.result()
        if without := set(found.emails) - set(result.inbox_users()):
            counts.update(await notification_counters.add(batch.conn, without, by=-1))
        if result.items:
            await write_inbox(batch, db, result.items, counts)

    return Consumer(name=CONSUMER_NAME, handlers=_handlers(audiences, notify))


def deliveries_consumer(
    db: AsyncDatabase,
    *,
    audiences: Mapping[Audience, Resolver] | None = None,
    on_deliveries: Callable[[], None] | None = None,
    grace: timedelta = timedelta(0),
    presence_window: timedelta | None = None,
) -> Consumer:
    """Email and push deliveries, queued durably. A consumer of its own so that a rule to
    10,000 users does not hold its inbox items and live events behind 10,000 deliveries
    (bench/notification_inbox.py). It starts where the notifications consumer stood when it
    first ran, since that consumer queued deliveries itself before the two were split.
    It runs once the notifications consumer's batch and its live events are out (`follows`).
    `on_deliveries` is called after a batch that queued some commits (the app wakes its
    delivery worker: they are due now, not at its next poll).

    `grace` and `presence_window` are the delivery worker's: a push to a user seen on a live
    socket within `presence_window` is queued held for `grace` (without a window, nobody
    counts as online here and the worker decides when it claims)."""

    async def queue(batch: ConsumerBatch, found: Addressed) -> None:
        prefs = await preferences.load_many(db, found.emails)
        result = found.plan(prefs, now=batch.now, part="deliveries")
        if not result.deliveries:
            return
        online = await _online(db, result.deliveries, now=batch.now, window=presence_window)
        held = [
            held_when_queued(
                d, prefs=prefs[d.user_id], online=str(d.user_id) in online, now=batch.now,
                grace=grace,
            )
            for d in result.deliveries
        ]  # fmt: skip
        await deliveries.enqueue(db, held)
        if on_deliveries is not None:
            batch.after_commit.append(on_deliveries)

    return Consumer(
        name=DELIVERIES_CONSUMER_NAME,
        handlers=_handlers(audiences, queue),
        start_at=CONSUMER_NAME,
        # Behind the inbox, not beside it: on SecantusDB the deliveries' inserts beside the
        # inbox's and the relay's appends raised the live bench's p50 from 0.70 to 0.94 s; behind
        # them it fell to 0.54 s (docs/notifications.md).
        follows=CONSUMER_NAME,
    )


async def _online(
    db: AsyncDatabase, queued: list[NewDelivery], *, now: datetime, window: timedelta | None
) -> set[str]:
    """Of the users with a push to queue, those seen on a live socket within `window`."""
    pushed = {str(d.user_id) for d in queued if d.channel == "push" and d.status == "queued"}
    if window is None or not pushed:
        return set()
    return await presence.online(db, pushed, since=now - window)


async def write_inbox(
    batch: ConsumerBatch, db: AsyncDatabase, items: list[dict[str, Any]], counts: dict[str, int]
) -> None:
    """Inbox items and each item's live events; `counts` are the owners' new unread counts."""
    # Postgres takes the `notification.created` events while Mongo takes the items (a rule to
    # 10,000 users: 0.13 s of 2.9 s saved, bench/notification_inbox.py); neither is visible
    # before the batch commits, after both.
    async with asyncio.TaskGroup() as both:
        inserted = both.create_task(notification_inbox.insert_many(db, items))
        both.create_task(batch.record_now([created_event(doc, at=batch.now) for doc in items]))
    if present := inserted.result():  # run before, up to the crash: count those inboxes as they are
        again = sorted({d["user_id"] for d in items if d["_id"] in present})
        recounted = await notification_inbox.unread_counts(db, again)
        await notification_counters.set_counts(batch.conn, recounted)
        counts.update(recounted)
    batch.record(
        *(unread_event(doc["user_id"], counts[doc["user_id"]], at=batch.now) for doc in items)
    )
