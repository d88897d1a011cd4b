"""Domain events: what a use case records, in the same transaction as its change.

An event names the streams (audiences) it is for; the relay appends one envelope per stream to
the event log and fans it out to the Socket.IO room of the same name. `data` must carry only
what every member of those streams may read over REST (see docs/event-spine.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def user_stream(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


def course_stream(course_id: uuid.UUID) -> str:
    return f"course:{course_id}"


def course_staff_stream(course_id: uuid.UUID) -> str:
    return f"course:{course_id}:staff"


def submissions_stream(assignment_id: uuid.UUID) -> str:
    return f"assignment:{assignment_id}:submissions"


ADMIN_AUDIT_STREAM = "admin:audit"
# Every admin: changes to the admin accounts themselves (`admin.created`, `admin.removed`).
ADMINS_STREAM = "admins"
# Every user: what concerns all of them (the platform's rules).
GLOBAL_STREAM = "global"


@dataclass(frozen=True)
class DomainEvent:
    type: str
    streams: tuple[str, ...]
    data: dict[str, Any]
    occurred_at: datetime
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def __post_init__(self) -> None:
        # Only audit records travel without an audience: the audit consumer is theirs.
        if not self.streams and self.type != "audit.recorded":
            raise ValueError(f"event {self.type} has no audience")


def event(type: str, *streams: str, at: datetime, **data: Any) -> DomainEvent:
    """`event("course.updated", course_stream(cid), at=now, course_id=str(cid))`."""
    return DomainEvent(type=type, streams=tuple(streams), data=data, occurred_at=at)
