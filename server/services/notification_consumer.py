"""The notifications consumer: domain events in, inbox items, deliveries and live events out.

Per event, inside the consumer's batch transaction:
1. what the event says and to whom (server.domain.notification_rules; recipients by query);
2. each recipient's preferences, one Mongo read for all of them;
3. their unread counters, +1 each, which locks their rows until the batch commits (REST
   changes to the same inboxes wait, so the counts reach the stream in order);
4. the inbox items, one bulk insert (ids derived from the event and the recipient: a batch
   run again after a crash finds its items and recounts those users from the inbox);
5. the deliveries, through `deliveries.enqueue` (idempotent the same way);
6. `notification.created` and `notification.unread_count` recorded for each inbox owner,
   appended to the outbox with the consumer's offset, so they travel the spine with a seq.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.notification_plan import Recipient, created_event, plan, unread_event
from server.domain.notification_rules import TYPES, Audience, MalformedEvent, notice_for
from server.services.consumers import ConsumedEvent, Consumer, ConsumerBatch, HandlerRegistry
from server.stores import deliveries, notification_counters, notification_inbox
from server.stores import notification_preferences as preferences
from server.stores import notification_recipients as find

log = logging.getLogger("classconnect.notifications")

CONSUMER_NAME = "notifications"

# Whose notice it is, by audience (Audience.THREAD_FOLLOWERS: the forum registers its own).
_BY_COURSE = {
    Audience.COURSE_ACTIVE_STUDENTS: find.course_active_students,
    Audience.COURSE_STAFF: find.course_staff,
    Audience.COURSE_MEMBERS: find.course_members,
}


async def recipients_of(batch: ConsumerBatch, event: ConsumedEvent) -> list[uuid.UUID]:
    spec = TYPES[event.type]
    data = event.data
    if spec.audience is Audience.EVENT_USER:
        found = [uuid.UUID(data["user_id"])]
    elif spec.audience is Audience.STREAM_USERS:
        found = [uuid.UUID(s.split(":", 1)[1]) for s in event.streams if s.count(":") == 1
                 and s.startswith("user:")]  # fmt: skip
    elif spec.audience is Audience.RULE_AUDIENCE:
        found = await find.rule_audience(batch.conn, data.get("applies_to", "all"))
    elif spec.audience in _BY_COURSE:
        found = await _BY_COURSE[spec.audience](batch.conn, data["course_id"])
    else:
        raise MalformedEvent(f"no recipients query for {spec.audience}")
    if event.type == "deadline.reminder" and found:
        found = await find.without_submission(batch.conn, data["assignment_id"], found)
    if spec.skip_actor and event.actor_id is not None:
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


def notifications_consumer(db: AsyncDatabase) -> Consumer:
    registry = HandlerRegistry()

    @registry.on(*(t for t, spec in TYPES.items() if spec.audience != Audience.THREAD_FOLLOWERS))
    async def notify(batch: ConsumerBatch, event: ConsumedEvent) -> None:
        try:
            notice = notice_for(event.type, event.data)
            if notice is None:
                return
            users = await recipients_of(batch, event)
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
        await fan_out(batch, db, result.items)
        await deliveries.enqueue(db, result.deliveries)

    return Consumer(name=CONSUMER_NAME, handlers=registry.handlers)


async def fan_out(batch: ConsumerBatch, db: AsyncDatabase, items: list[dict[str, Any]]) -> None:
    """Insert inbox items and record their live events, counting each owner's unread."""
    if not items:
        return
    counts = await notification_counters.add_one(
        batch.conn, (uuid.UUID(d["user_id"]) for d in items)
    )
    present = await notification_inbox.insert_many(db, items)
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
