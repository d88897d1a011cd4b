"""Course use cases: create, read, change, delete; the catalog, "my courses", favourites."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import asyncpg

from server.domain import course_access as access
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.course_access import CourseRole, Membership
from server.domain.courses import (
    CourseCreate,
    CourseRead,
    CourseUpdate,
    Eligibility,
    check_schedule,
    item_from,
)
from server.domain.errors import InvalidInput
from server.domain.events import course_stream, event, user_stream
from server.pg_pool import Pool
from server.services.admin_permissions import require_permission
from server.services.course_context import course_and_membership, log_if_assistant
from server.services.unit_of_work import unit_of_work
from server.stores import course_content
from server.stores import courses as store
from server.stores import memberships as members_store


async def _check_prerequisites(
    conn: asyncpg.Connection, ids: list[uuid.UUID], course_id: uuid.UUID
) -> None:
    if course_id in ids:
        raise InvalidInput("A course cannot be its own prerequisite.", code="invalid_prerequisite")
    found = {r["id"] for r in await store.live_titles(conn, ids)}
    if unknown := [str(i) for i in ids if i not in found]:
        raise InvalidInput(
            "Some prerequisite courses do not exist.",
            code="invalid_prerequisite",
            details=[{"field": "eligibility.prerequisite_course_ids", "unknown": unknown}],
        )


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    """Model fields -> course columns (eligibility is stored as an id array)."""
    out = dict(data)
    if "eligibility" in out:
        out["prerequisite_ids"] = list(
            dict.fromkeys(out.pop("eligibility")["prerequisite_course_ids"])
        )
    for key in ("level", "modality"):
        if key in out:
            out[key] = str(out[key])
    return out


async def _read(
    conn: asyncpg.Connection, course: asyncpg.Record, m: Membership | None, today: date
) -> CourseRead:
    prereq_ids = list(course["prerequisite_ids"])
    titles = {r["id"]: r["title"] for r in await store.live_titles(conn, prereq_ids)}
    owner = await store.public_profile(conn, course["owner_id"])
    return CourseRead(
        **item_from(course, today=today, my_role=access.role_name(m)),
        description=course["description"],
        objectives=json.loads(course["objectives"]),
        syllabus=course["syllabus"],
        eligibility=Eligibility(prerequisite_course_ids=prereq_ids),
        prerequisites=[{"id": i, "title": titles[i]} for i in prereq_ids if i in titles],
        owner={"id": owner["id"], "name": owner["name"], "bio": owner["bio"]},
        modules=[dict(r) for r in await course_content.outline(conn, course["id"])],
        my_status=m.status.value if access.is_member(m) else None,  # type: ignore[union-attr]
        created_at=course["created_at"],
        updated_at=course["updated_at"],
    )


async def create_course(
    *, pool: Pool, clock: Clock, context: RequestContext, data: CourseCreate
) -> CourseRead:
    actor_id = context.actor_id
    course_id = uuid.uuid4()
    fields = _columns(data.model_dump(mode="python"))
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        await require_permission(conn, actor_id, "can_create_courses")
        await _check_prerequisites(conn, fields["prerequisite_ids"], course_id)
        await store.insert(conn, course_id=course_id, owner_id=actor_id, fields=fields, now=now)
        await members_store.insert(
            conn, course_id=course_id, user_id=actor_id, role=CourseRole.owner, now=now
        )
        uow.record(
            event(
                "course.created",
                user_stream(actor_id),
                at=now,
                course_id=str(course_id),
                user_id=str(actor_id),
                role="owner",
            )
        )
        uow.audit(
            "course.create", target=("course", course_id), changes=changes_between(None, fields)
        )
        course, m = await course_and_membership(conn, course_id, actor_id)
        return await _read(conn, course, m, now.date())


async def get_course(
    *, pool: Pool, clock: Clock, actor_id: uuid.UUID, course_id: uuid.UUID
) -> CourseRead:
    async with pool.acquire() as conn:
        course, m = await course_and_membership(conn, course_id, actor_id)
        return await _read(conn, course, m, clock.now().date())


async def update_course(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    course_id: uuid.UUID,
    data: CourseUpdate,
) -> CourseRead:
    actor_id = context.actor_id
    changes = _columns(data.model_dump(mode="python", exclude_unset=True))
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        course, m = await course_and_membership(
            conn, course_id, actor_id, lock=True, for_change=True
        )
        access.require(access.can_edit_content, m, "edit the course")
        merged = {**dict(course), **changes}
        check_schedule(merged["starts_on"], merged["ends_on"], merged["enroll_until"])
        if merged["capacity"] < course["seats_taken"]:
            raise InvalidInput(
                f"capacity cannot go below the {course['seats_taken']} students enrolled.",
                code="capacity_below_enrolled",
                details=[{"field": "capacity", "enrolled": course["seats_taken"]}],
            )
        if "prerequisite_ids" in changes:
            await _check_prerequisites(conn, changes["prerequisite_ids"], course_id)
        await store.update(conn, course_id, changes, now)
        await log_if_assistant(
            conn,
            m,
            course_id=course_id,
            actor_id=actor_id,
            action="course.updated",
            now=now,
            fields=sorted(data.model_fields_set),
        )
        uow.record(
            event(
                "course.updated",
                course_stream(course_id),
                at=now,
                course_id=str(course_id),
                fields=sorted(data.model_fields_set),
            )
        )
        uow.audit(
            "course.update",
            target=("course", course_id),
            changes=changes_between(
                {**dict(course), "objectives": json.loads(course["objectives"])}, changes
            ),
        )
        course, m = await course_and_membership(conn, course_id, actor_id)
        return await _read(conn, course, m, now.date())


async def delete_course(
    *, pool: Pool, clock: Clock, context: RequestContext, course_id: uuid.UUID
) -> None:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        _, m = await course_and_membership(
            conn, course_id, context.actor_id, lock=True, for_change=True
        )
        access.require(access.can_delete_course, m, "delete the course")
        await store.mark_deleted(conn, course_id, now)
        uow.record(
            event("course.deleted", course_stream(course_id), at=now, course_id=str(course_id))
        )
        uow.audit(
            "course.delete",
            target=("course", course_id),
            changes={"deleted_at": [None, now.isoformat()]},
        )


async def set_favorite(
    *, pool: Pool, clock: Clock, context: RequestContext, course_id: uuid.UUID, on: bool
) -> None:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        await course_and_membership(conn, course_id, actor_id, for_change=on)
        if on:
            changed = await store.set_favorite(conn, actor_id, course_id, now)
        else:
            changed = await store.unset_favorite(conn, actor_id, course_id)
        if not changed:  # PUT and DELETE are idempotent; only a real change is an event
            uow.unchanged()
            return
        uow.record(
            event(
                "favorite.changed",
                user_stream(actor_id),
                at=now,
                course_id=str(course_id),
                user_id=str(actor_id),
                favorite=on,
            )
        )
        uow.audit(
            "favorite.add" if on else "favorite.remove",
            target=("favorite", f"{actor_id}:{course_id}"),
            changes={"favorite": [not on, on]},
        )
