"""Rows to read models, and the loading every assignment use case starts with."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from server.domain import assignment_access as rules
from server.domain.assignments import (
    AssignmentCounts,
    AssignmentCreate,
    AssignmentItem,
    AssignmentKind,
    AssignmentRead,
    AssignmentState,
    LatePolicy,
    Question,
)
from server.domain.course_access import Membership
from server.domain.cursors import decode_cursor
from server.domain.events import DomainEvent, course_staff_stream, course_stream, event
from server.stores import assignments as store


async def assignment_and_membership(
    conn: asyncpg.Connection, assignment_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
) -> tuple[asyncpg.Record, Membership | None]:
    """404 `assignment_not_found` for unknown or deleted assignments (and deleted courses)."""
    row = await store.get(conn, assignment_id, lock=lock, member_id=user_id)
    if row is None:
        raise rules.assignment_not_found()
    if row["m_role"] is None:
        return row, None
    return row, Membership.of(
        {"role": row["m_role"], "status": row["m_status"], "permissions": row["m_permissions"]}
    )


def questions_of(row: asyncpg.Record) -> list[Question]:
    return [Question.model_validate(q) for q in json.loads(row["questions"])]


def late_policy_of(row: asyncpg.Record) -> LatePolicy:
    return LatePolicy(
        accept_late=row["accept_late"],
        penalty_percent_per_day=row["penalty_percent_per_day"],
        max_late_days=row["max_late_days"],
    )


def as_create(row: asyncpg.Record) -> dict[str, Any]:
    """The stored assignment in the shape of `AssignmentCreate` (to merge a PATCH into).
    Not validated here: the merge is, so a stored value today's rules refuse (a due date from
    before the accepted range) is reported as the field to fix, not as a server error."""
    data = AssignmentCreate.model_construct(
        kind=AssignmentKind(row["kind"]),
        title=row["title"],
        description=row["description"],
        instructions=row["instructions"],
        due_at=row["due_at"],
        grace_minutes=row["grace_minutes"],
        late_policy=late_policy_of(row),
        time_limit_minutes=row["time_limit_minutes"],
        max_attempts=row["max_attempts"],
        questions=questions_of(row),
        attachments=list(row["attachments"]),
    )
    return data.model_dump(mode="json")


def _state(row: asyncpg.Record) -> AssignmentState:
    return AssignmentState.published if row["published_at"] else AssignmentState.draft


def item(row: asyncpg.Record, *, staff: bool) -> AssignmentItem:
    return AssignmentItem(
        id=row["id"],
        course_id=row["course_id"],
        kind=row["kind"],
        title=row["title"],
        due_at=row["due_at"],
        state=_state(row),
        max_score=row["max_score"],
        counts=AssignmentCounts(**{k: row[k] for k in AssignmentCounts.model_fields})
        if staff
        else None,
        my_status=None if staff else row["my_status"],
    )


def read(
    row: asyncpg.Record,
    *,
    staff: bool,
    counts: dict[str, int] | None = None,
    my_status: str | None = None,
    attempts_used: int | None = None,
) -> AssignmentRead:
    questions = questions_of(row)
    return AssignmentRead(
        id=row["id"],
        course_id=row["course_id"],
        kind=row["kind"],
        title=row["title"],
        due_at=row["due_at"],
        state=_state(row),
        max_score=row["max_score"],
        counts=AssignmentCounts(**counts) if staff and counts is not None else None,
        my_status=None if staff else my_status,
        description=row["description"],
        instructions=row["instructions"],
        grace_minutes=row["grace_minutes"],
        late_policy=late_policy_of(row),
        time_limit_minutes=row["time_limit_minutes"],
        max_attempts=row["max_attempts"],
        # Students get the views: no `correct` field exists on them to leak.
        questions=questions if staff else [q.view() for q in questions],
        attachments=list(row["attachments"]),
        published_at=row["published_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        attempts_used=None if staff else attempts_used,
    )


def assignment_event(type: str, row: asyncpg.Record, now: Any, **extra: Any) -> DomainEvent:
    """To the whole course once published; a draft only concerns the staff. Only what every
    member may read: never questions or answers."""
    published = row["published_at"] is not None
    stream = course_stream if published else course_staff_stream
    return event(
        type,
        stream(row["course_id"]),
        at=now,
        assignment_id=str(row["id"]),
        course_id=str(row["course_id"]),
        kind=row["kind"],
        title=row["title"],
        due_at=row["due_at"].isoformat(),
        state=_state(row).value,
        **extra,
    )


def keyset_after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (time, id) keyset a page cursor names."""
    if cursor is None:
        return None
    return decode_cursor(cursor, datetime, uuid.UUID)  # type: ignore[return-value]
