"""Mongo indexes, created idempotently at start-up (create_index is a no-op when it exists)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase


@dataclass(frozen=True)
class IndexSpec:
    collection: str
    keys: list[tuple[str, int]]
    options: dict[str, Any] = field(default_factory=dict)


EVENT_LOG_RETENTION_SECONDS = 7 * 24 * 3600

INDEXES: list[IndexSpec] = [
    # Event log (docs/event-spine.md): one envelope per event, ordered per stream.
    IndexSpec("event_log", [("stream", 1), ("seq", 1)], {"unique": True, "name": "stream_seq"}),
    # An event bound for several streams has one envelope per stream, each appended once.
    IndexSpec(
        "event_log", [("event_id", 1), ("stream", 1)], {"unique": True, "name": "event_stream"}
    ),
    IndexSpec(
        "event_log",
        [("at", 1)],
        {"expireAfterSeconds": EVENT_LOG_RETENTION_SECONDS, "name": "retention"},
    ),
    # Administration (docs/administration.md).
    IndexSpec("admins", [("email", 1)], {"unique": True, "name": "email"}),
    IndexSpec("admin_intents", [("key", 1), ("at", 1)], {"name": "key_at"}),
    IndexSpec("admin_intents", [("at", 1)], {"name": "at"}),
    IndexSpec("rules", [("effective_from", 1), ("_id", 1)], {"name": "effective"}),
    IndexSpec("rule_versions", [("rule_id", 1), ("version", 1)], {"name": "rule_version"}),
    IndexSpec("rule_acceptances", [("rule_id", 1), ("version", 1)], {"name": "rule_version"}),
    IndexSpec("rule_acceptances", [("user_id", 1)], {"name": "user"}),
    IndexSpec("audit_log", [("actor.id", 1), ("_id", -1)], {"name": "actor"}),
    IndexSpec("audit_log", [("target.id", 1), ("_id", -1)], {"name": "target"}),
    IndexSpec("audit_log", [("action", 1), ("_id", -1)], {"name": "action"}),
    IndexSpec("process_stats", [("at", 1)], {"name": "at"}),
    # The inbox (server/stores/notification_inbox.py): a user's items newest first; unread
    # counts walk the same user's entries. One index only: each one costs every item of a
    # fan-out to 10,000 users a write (with SecantusDB, a second doubled the insert time).
    IndexSpec("notifications", [("user_id", 1), ("seq", -1)], {"name": "user_newest"}),
    # Notification deliveries (docs/notifications-delivery.md): what is due (and, by status,
    # what a lease left behind), a user's log (newest first) and an email batch's members.
    # Few on purpose: every status change rewrites each index's entry.
    IndexSpec("notification_deliveries", [("status", 1), ("not_before", 1)], {"name": "due"}),
    IndexSpec("notification_deliveries", [("status", 1), ("lease_until", 1)], {"name": "leases"}),
    IndexSpec(
        "notification_deliveries",
        [("user_id", 1), ("created_at", -1), ("_id", -1)],
        {"name": "user_log"},
    ),
    IndexSpec("notification_deliveries", [("batch", 1)], {"name": "batch"}),
    IndexSpec("presence", [("user_id", 1)], {"name": "user"}),
    IndexSpec("presence", [("instance", 1)], {"name": "instance"}),
]


async def ensure_indexes(db: AsyncDatabase) -> None:
    for spec in INDEXES:
        await db[spec.collection].create_index(spec.keys, **spec.options)
