"""Deadline reminders: when they fire, and what a student receives. Pure."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from server.domain.events import DomainEvent, event, user_stream

BEFORE_DUE = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}


def reminder_times(due_at: datetime, now: datetime) -> dict[str, datetime]:
    """Each reminder whose time is still ahead; one whose moment has passed (an assignment
    published 10 hours before it is due has no 24 h reminder) is not scheduled. Compared as
    `due_at > now + before`: `due_at - before` overflows for a due time near year 1, which once
    made such an assignment impossible to publish."""
    return {kind: due_at - before for kind, before in BEFORE_DUE.items() if due_at > now + before}


def still_useful(*, now: datetime, due_at: datetime) -> bool:
    """After the due time a reminder only confuses (the server may have been down)."""
    return now < due_at


def reminder_event(
    *,
    student_id: uuid.UUID,
    assignment_id: uuid.UUID,
    course_id: uuid.UUID,
    title: str,
    due_at: datetime,
    kind: str,
    now: datetime,
) -> DomainEvent:
    return event(
        "deadline.reminder",
        user_stream(student_id),
        at=now,
        assignment_id=str(assignment_id),
        course_id=str(course_id),
        title=title,
        due_at=due_at.isoformat(),
        before=kind,
    )
