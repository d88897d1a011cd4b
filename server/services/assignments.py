"""Assignment use cases: create (a draft), read, change, publish, delete, and the listings."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from pydantic import ValidationError

from server.domain import assignment_access as rules
from server.domain import course_access as access
from server.domain.assignments import (
    AssignmentCreate,
    AssignmentRead,
    AssignmentUpdate,
    max_score,
    merged_assignment,
)
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.errors import Conflict, InvalidInput
from server.domain.reminders import reminder_times
from server.pg_pool import Pool
from server.services.assignment_views import (
    as_create,
    assignment_and_membership,
    assignment_event,
    read,
)
from server.services.course_context import course_and_membership, log_if_assistant
from server.services.unit_of_work import unit_of_work
from server.stores import assignments as store
from server.stores import reminders, uploads


def _columns(data: AssignmentCreate) -> dict[str, Any]:
    return {
        "kind": data.kind.value,
        "title": data.title,
        "description": data.description,
        "instructions": data.instructions,
        "due_at": data.due_at,
        "grace_minutes": data.grace_minutes,
        "accept_late": data.late_policy.accept_late,
        "penalty_percent_per_day": data.late_policy.penalty_percent_per_day,
        "max_late_days": data.late_policy.max_late_days,
        "time_limit_minutes": data.time_limit_minutes,
        "max_attempts": data.max_attempts,
        "questions": [q.model_dump(mode="json") for q in data.questions],
        "attachments": data.attachments,
        "max_score": max_score(data.questions),
    }


def _audited(fields: dict[str, Any]) -> dict[str, Any]:
    """An assignment as its audit entries show it: the questions (and their answer keys) by
    count only."""
    shown = {k: v for k, v in fields.items() if k != "questions"}
    shown["question_count"] = len(fields["questions"])
    return shown


async def _attach(
    conn: asyncpg.Connection, files: list[uuid.UUID], actor_id: uuid.UUID, course_id: uuid.UUID
) -> None:
    if refused := await uploads.attach(conn, files, uploader_id=actor_id, course_id=course_id):
        raise InvalidInput(
            "Attach files you uploaded yourself and that belong to no other course.",
            code="invalid_attachments",
            details=[{"field": "body.attachments", "file_ids": [str(f) for f in refused]}],
        )


async def create_assignment(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    course_id: uuid.UUID,
    data: AssignmentCreate,
) -> AssignmentRead:
    actor_id = context.actor_id
    assignment_id = uuid.uuid4()
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        _, m = await course_and_membership(conn, course_id, actor_id, for_change=True)
        rules.require(rules.can_manage_assignment, m, "create assignments")
        await _attach(conn, data.attachments, actor_id, course_id)
        await store.insert(
            conn,
            assignment_id=assignment_id,
            course_id=course_id,
            created_by=actor_id,
            fields=_columns(data),
            now=now,
        )
        row = await store.get(conn, assignment_id)
        await log_if_assistant(
            conn,
            m,
            course_id=course_id,
            actor_id=actor_id,
            action="assignment.created",
            now=now,
            assignment_id=assignment_id,
        )
        uow.record(assignment_event("assignment.created", row, now))
        uow.audit(
            "assignment.create",
            target=("assignment", assignment_id),
            changes=changes_between(
                None, {"course_id": course_id, **_audited(data.model_dump(mode="json"))}
            ),
        )
        return read(row, staff=True, counts={})


async def get_assignment(
    *, pool: Pool, clock: Clock, actor_id: uuid.UUID, assignment_id: uuid.UUID
) -> AssignmentRead:
    async with pool.acquire() as conn:
        row, m = await assignment_and_membership(conn, assignment_id, actor_id)
        rules.require_visible_assignment(m, published=row["published_at"] is not None)
        if access.is_staff(m):
            return read(row, staff=True, counts=await store.counts(conn, assignment_id))
        status = await store.my_status(conn, assignment_id, actor_id, clock.now())
        used = await store.attempts_used(conn, assignment_id, actor_id)
        return read(row, staff=False, my_status=status, attempts_used=used)


async def update_assignment(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    assignment_id: uuid.UUID,
    changes: AssignmentUpdate,
) -> AssignmentRead:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        row, m = await assignment_and_membership(conn, assignment_id, actor_id, lock=True)
        rules.require_visible_assignment(m, published=row["published_at"] is not None)
        rules.require(rules.can_manage_assignment, m, "change assignments")
        try:
            data = AssignmentCreate.model_validate(merged_assignment(as_create(row), changes))
        except ValidationError as exc:
            details = [
                {"field": ".".join(map(str, e["loc"])) or "body", "message": e["msg"]}
                for e in exc.errors(include_url=False, include_input=False)
            ]
            raise InvalidInput("The changed assignment is not valid.", details=details) from None
        sent = changes.model_fields_set
        if "questions" in sent and await store.has_submissions(conn, assignment_id):
            raise Conflict(
                "Students have already answered these questions.", code="assignment_has_submissions"
            )
        if "attachments" in sent:
            await _attach(conn, data.attachments, actor_id, row["course_id"])
        await store.update(conn, assignment_id, _columns(data), now)
        due_changed = data.due_at != row["due_at"]
        if due_changed and row["published_at"] is not None:
            await reminders.schedule(conn, assignment_id, reminder_times(data.due_at, now))
        updated = await store.get(conn, assignment_id)
        await log_if_assistant(
            conn,
            m,
            course_id=row["course_id"],
            actor_id=actor_id,
            action="assignment.updated",
            now=now,
            assignment_id=assignment_id,
        )
        uow.record(
            assignment_event(
                "assignment.updated",
                updated,
                now,
                changed=sorted(sent),
                due_at_changed=due_changed,
                previous_due_at=row["due_at"].isoformat() if due_changed else None,
            )
        )
        uow.audit(
            "assignment.update",
            target=("assignment", assignment_id),
            changes=changes_between(
                _audited(as_create(row)), _audited(data.model_dump(mode="json"))
            ),
        )
        return read(updated, staff=True, counts=await store.counts(conn, assignment_id))


async def publish_assignment(
    *, pool: Pool, clock: Clock, context: RequestContext, assignment_id: uuid.UUID
) -> AssignmentRead:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        row, m = await assignment_and_membership(conn, assignment_id, actor_id, lock=True)
        rules.require_visible_assignment(m, published=row["published_at"] is not None)
        rules.require(rules.can_manage_assignment, m, "publish assignments")
        if row["published_at"] is not None:
            raise Conflict("The assignment is already published.", code="already_published")
        await store.publish(conn, assignment_id, now)
        await reminders.schedule(conn, assignment_id, reminder_times(row["due_at"], now))
        published = await store.get(conn, assignment_id)
        await log_if_assistant(
            conn,
            m,
            course_id=row["course_id"],
            actor_id=actor_id,
            action="assignment.published",
            now=now,
            assignment_id=assignment_id,
        )
        uow.record(assignment_event("assignment.published", published, now))
        uow.audit(
            "assignment.publish",
            target=("assignment", assignment_id),
            changes={"published_at": [None, now.isoformat()]},
        )
        return read(published, staff=True, counts=await store.counts(conn, assignment_id))


async def delete_assignment(
    *, pool: Pool, clock: Clock, context: RequestContext, assignment_id: uuid.UUID
) -> None:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        row, m = await assignment_and_membership(conn, assignment_id, actor_id, lock=True)
        rules.require_visible_assignment(m, published=row["published_at"] is not None)
        rules.require(rules.can_manage_assignment, m, "delete assignments")
        await store.soft_delete(conn, assignment_id, now)
        await reminders.cancel(conn, assignment_id)
        await log_if_assistant(
            conn,
            m,
            course_id=row["course_id"],
            actor_id=actor_id,
            action="assignment.deleted",
            now=now,
            assignment_id=assignment_id,
        )
        uow.record(assignment_event("assignment.deleted", row, now))
        uow.audit(
            "assignment.delete",
            target=("assignment", assignment_id),
            changes={"deleted_at": [None, now.isoformat()]},
        )
