"""From one event's notice and its recipients to what gets written: inbox items, deliveries
and live events. Pure: the consumer looks everything up, this decides.

Each recipient gets an inbox item when their `in_app` mode is on, and a delivery per outside
channel (email, push) that is on for them: `queued` with its mode (`immediate` or
`daily_digest`). A channel the type uses by default but the user turned off gets a `skipped`
delivery with reason `preference_off`, so their log shows why nothing was sent; a channel the
type never uses unless asked gets none (a submission would otherwise log two skipped
deliveries per staff member, a rule for 10,000 users 10,000 skipped pushes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import TypeAdapter

from server.domain.deliveries import DeliveryChannel, NewDelivery, delivery_id
from server.domain.events import DomainEvent, event
from server.domain.notification_preferences import Mode, NotificationPreferences
from server.domain.notification_rules import (
    OUTSIDE_CHANNELS,
    TYPES,
    Notice,
    default_mode,
    effective_mode,
    notification_id,
)
from server.domain.notification_texts import render
from server.domain.notifications import NotificationRead

CREATED = "notification.created"
UNREAD_COUNT = "notification.unread_count"

# Each consumer asks for its own part: the inbox's or the deliveries'.
Part = Literal["items", "deliveries"]
BOTH: frozenset[Part] = frozenset(("items", "deliveries"))


@dataclass(frozen=True)
class Recipient:
    user_id: uuid.UUID
    email: str
    prefs: NotificationPreferences


@dataclass
class Plan:
    items: list[dict[str, Any]]  # inbox documents (Mongo)
    deliveries: list[NewDelivery]

    def inbox_users(self) -> list[uuid.UUID]:
        return [uuid.UUID(doc["user_id"]) for doc in self.items]


def to_millis(moment: datetime) -> datetime:
    """Mongo keeps milliseconds: items carry exactly what a later read returns."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def plan(
    *,
    event_id: uuid.UUID,
    seq: int,
    notice: Notice,
    values: dict[str, Any],
    recipients: list[Recipient],
    occurred_at: datetime,
    now: datetime,
    parts: frozenset[Part] = BOTH,
) -> Plan:
    created_at = to_millis(occurred_at)
    event = str(event_id)
    texts: dict[tuple[str, str], tuple[str, str]] = {}  # many recipients share a locale and zone
    result = Plan(items=[], deliveries=[])
    for r in recipients:
        key = (r.prefs.locale, r.prefs.timezone)
        if key not in texts:
            texts[key] = render(notice.type, notice.variant, values, locale=key[0], timezone=key[1])
        title, body = texts[key]
        user = str(r.user_id)
        item_id = notification_id(event, user)
        if "items" in parts and effective_mode(r.prefs, notice.type, "in_app") != "off":
            result.items.append(
                {
                    "_id": item_id,
                    "user_id": user,
                    "event_id": event,
                    "seq": seq,  # the event's relay_seq: the inbox's newest-first order
                    "type": notice.type,
                    "title": title,
                    "body": body,
                    "data": notice.links,
                    "course_id": notice.course_id,
                    "created_at": created_at,
                    "read_at": None,
                    "archived_at": None,
                }
            )
        for channel in OUTSIDE_CHANNELS if "deliveries" in parts else ():
            mode = effective_mode(r.prefs, notice.type, channel)
            # A channel the type never uses unless asked leaves no trace; one the user turned
            # off shows in their delivery log as skipped, so they can see why nothing came.
            if mode == "off" and default_mode(notice.type, channel) == "off":
                continue
            result.deliveries.append(
                _delivery(event, item_id, notice, r, channel, mode, title, body, now)
            )
    return result


def _delivery(
    event_id: str,
    item_id: str,
    notice: Notice,
    r: Recipient,
    channel: DeliveryChannel,
    mode: Mode,
    title: str,
    body: str,
    now: datetime,
) -> NewDelivery:
    off = mode == "off"
    return NewDelivery(
        id=delivery_id(event_id, r.user_id, channel),
        event_id=event_id,
        notification_id=item_id,
        user_id=r.user_id,
        channel=channel,
        type=notice.type,
        critical=TYPES[notice.type].critical,
        mode="immediate" if mode == "off" else mode,
        locale=r.prefs.locale,
        title=title,
        body=body,
        data=notice.links,
        course_id=notice.course_id,
        created_at=now,
        status="skipped" if off else "queued",
        reason="preference_off" if off else None,
        email=r.email if channel == "email" else None,
    )


def item_read(doc: dict[str, Any]) -> NotificationRead:
    return NotificationRead(
        id=doc["_id"],
        type=doc["type"],
        title=doc["title"],
        body=doc["body"],
        data=doc.get("data") or {},
        course_id=doc.get("course_id"),
        created_at=doc["created_at"],
        read_at=doc.get("read_at"),
    )


_TIME = TypeAdapter(datetime)


def created_event(doc: dict[str, Any], *, at: datetime) -> DomainEvent:
    """The item, on its owner's stream: every open device shows it at once. Built without a
    model (one event can have 10,000 of these), the same JSON as `item_read`'s."""
    item = {
        "id": doc["_id"],
        "type": doc["type"],
        "title": doc["title"],
        "body": doc["body"],
        "data": doc["data"],
        "course_id": doc["course_id"],
        "created_at": _TIME.dump_python(doc["created_at"], mode="json"),
        "read_at": None,
    }
    stream = f"user:{doc['user_id']}"
    return DomainEvent(type=CREATED, streams=(stream,), data=item, occurred_at=at)


def unread_event(user_id: uuid.UUID | str, unread: int, *, at: datetime) -> DomainEvent:
    return event(UNREAD_COUNT, f"user:{user_id}", at=at, unread=unread)
