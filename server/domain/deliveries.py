"""A delivery: one notification sent on one outside channel (email or push) to one user.

Shared contract of the notifications pipeline. The inbox side (the notifications consumer)
creates deliveries `queued` (or `skipped` with a reason, e.g. `preference_off`) with everything
needed to send them; the delivery side schedules them (quiet hours, digests, push grace), sends,
retries and logs: `queued -> sending -> sent | failed (retried) | dead | skipped`.

A delivery's id is derived from the event, the user and the channel, so a consumer that runs an
event twice (after a crash) enqueues the same deliveries, not new ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

DeliveryChannel = Literal["email", "push"]
DeliveryStatus = Literal["queued", "sending", "sent", "failed", "dead", "skipped"]

_NAMESPACE = uuid.UUID("5b0d7f3e-1c1e-4c59-9a7e-2f1f3c6d8a10")


def delivery_id(event_id: str, user_id: uuid.UUID | str, channel: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{event_id}:{user_id}:{channel}")


@dataclass(frozen=True, slots=True)
class NewDelivery:
    id: uuid.UUID
    event_id: str
    notification_id: str
    user_id: uuid.UUID
    channel: DeliveryChannel
    type: str  # the notification type, e.g. "grade.published"
    critical: bool  # critical types ignore quiet hours and can't be turned off
    mode: Literal["immediate", "daily_digest"]
    locale: str
    title: str
    body: str
    data: dict[str, Any]
    course_id: str | None
    created_at: datetime
    status: Literal["queued", "skipped"] = "queued"
    reason: str | None = None  # why skipped
    email: str | None = None  # the address, for email deliveries
    extra: dict[str, Any] = field(default_factory=dict)
    # Held from the start (server/domain/delivery_plan.py `held_when_queued`): what it waits
    # for (digest, quiet, grace) and until when.
    hold: str | None = None
    not_before: datetime | None = None

    def as_document(self) -> dict[str, Any]:
        return {
            "_id": str(self.id),
            "event_id": self.event_id,
            "notification_id": self.notification_id,
            "user_id": str(self.user_id),
            "channel": self.channel,
            "type": self.type,
            "critical": self.critical,
            "mode": self.mode,
            "locale": self.locale,
            "title": self.title,
            "body": self.body,
            "data": self.data,
            "course_id": self.course_id,
            "email": self.email,
            "extra": self.extra,
            "status": self.status,
            "reason": self.reason,
            "attempts": 0,
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "not_before": self.not_before or self.created_at,
            **self._held(),
        }

    def _held(self) -> dict[str, Any]:
        if self.hold is None:
            return {}
        # As the delivery worker logs a hold (server/stores/delivery_queue.py `postpone`).
        entry = {"at": self.created_at, "outcome": "held", "hold": self.hold}
        return {"hold": self.hold, "log": [{**entry, "until": self.not_before}]}
