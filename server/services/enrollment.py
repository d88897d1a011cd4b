"""Enrollment, members and assistants.

Seats: the course row is locked for the whole enrollment and the seat is claimed with a
conditional UPDATE (`seats_taken < capacity`), so concurrent enrollments never overfill it.
Membership events carry `course_id` and `user_id`: the realtime layer moves sockets with them.
"""

from __future__ import annotations

import json
import uuid

from server.domain import course_access as access
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.course_access import AssistantPermissions, CourseRole, MemberStatus
from server.domain.courses import enrollment_open, missing_prerequisites
from server.domain.cursors import decode_cursor, encode_cursor
from server.domain.enrollment import (
    ActivityEntry,
    ActivityPage,
    ActivityQuery,
    AssistantRead,
    AssistantUpdate,
    EnrollmentRead,
    MemberRead,
    MembersRead,
    StatusChange,
)
from server.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.domain.events import course_staff_stream, event, user_stream
from server.pg_pool import Pool
from server.services.admin_permissions import require_permission
from server.services.course_context import course_and_membership, log_if_assistant
from server.services.unit_of_work import unit_of_work
from server.stores import courses as courses_store
from server.stores import memberships as store


def _membership_event(type: str, course_id: uuid.UUID, user_id: uuid.UUID, at, **data):
    streams = [user_stream(user_id)]
    if type != "member.status_changed":
        streams.insert(0, course_staff_stream(course_id))
    return event(type, *streams, at=at, course_id=str(course_id), user_id=str(user_id), **data)


async def enroll(
    *, pool: Pool, clock: Clock, context: RequestContext, course_id: uuid.UUID
) -> EnrollmentRead:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        await require_permission(conn, actor_id, "can_enroll")
        course, m = await course_and_membership(
            conn, course_id, actor_id, lock=True, for_change=True
        )
        if m is not None and m.status is MemberStatus.removed:
            raise PermissionDenied("You were removed from this course.", code="removed_from_course")
        if m is not None:
            raise Conflict("You are already in this course.", code="already_enrolled")
        if not enrollment_open(course["enroll_until"], now.date()):
            raise InvalidInput(
                f"Enrollment closed on {course['enroll_until']}.",
                code="enrollment_closed",
                details=[{"enroll_until": str(course["enroll_until"])}],
            )
        required = list(course["prerequisite_ids"])
        approved = await store.approved_courses(conn, actor_id, required)
        if missing := missing_prerequisites(required, approved):
            titles = {r["id"]: r["title"] for r in await courses_store.live_titles(conn, missing)}
            raise PermissionDenied(
                "Complete the prerequisite courses first: "
                + ", ".join(titles.get(c, str(c)) for c in missing)
                + ".",
                code="not_eligible",
                details=[{"course_id": str(c), "title": titles.get(c)} for c in missing],
            )
        if not await courses_store.take_seat(conn, course_id):
            raise Conflict("The course is full.", code="course_full")
        await store.insert(
            conn, course_id=course_id, user_id=actor_id, role=CourseRole.student, now=now
        )
        uow.record(
            _membership_event("enrollment.created", course_id, actor_id, now, role="student")
        )
        uow.audit(
            "enrollment.create",
            target=("enrollment", f"{course_id}:{actor_id}"),
            changes={"course_id": [None, str(course_id)], "role": [None, "student"]},
        )
        return EnrollmentRead(
            course_id=course_id,
            user_id=actor_id,
            role="student",
            status="active",
            seats_left=course["capacity"] - course["seats_taken"] - 1,
        )


async def leave(*, pool: Pool, clock: Clock, context: RequestContext, course_id: uuid.UUID) -> None:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        _, m = await course_and_membership(
            uow.conn, course_id, actor_id, lock=True, for_change=True
        )
        if not access.is_student(m):
            raise NotFound("You are not enrolled in this course.", code="not_enrolled")
        if m.status is not MemberStatus.active:  # type: ignore[union-attr]
            raise Conflict("Your result in this course is final.", code="enrollment_finished")
        await store.delete(uow.conn, course_id, actor_id)
        await courses_store.free_seat(uow.conn, course_id)
        uow.record(
            _membership_event("enrollment.removed", course_id, actor_id, uow.now, reason="left")
        )
        uow.audit(
            "enrollment.delete",
            target=("enrollment", f"{course_id}:{actor_id}"),
            changes={"reason": [None, "left"]},
        )


async def members(
    *, pool: Pool, clock: Clock, actor_id: uuid.UUID, course_id: uuid.UUID
) -> MembersRead:
    async with pool.acquire() as conn:
        _, m = await course_and_membership(conn, course_id, actor_id)
        access.require(access.is_member, m, "see the members")
        everyone = access.can_see_member_list(m)
        rows = await store.list_members(conn, course_id, staff_only=not everyone)
        count = await store.student_count(conn, course_id)
    out = []
    for r in rows:
        perms = json.loads(r["permissions"]) if r["role"] == "assistant" else None
        out.append(
            MemberRead(
                user_id=r["user_id"],
                name=r["name"],
                role=r["role"],
                status=r["status"] if everyone else None,
                permissions=AssistantPermissions.from_mapping(perms).as_dict()
                if perms is not None
                else None,
                joined_at=r["joined_at"],
            )
        )
    return MembersRead(members=out, student_count=count)


async def set_member_status(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    course_id: uuid.UUID,
    user_id: uuid.UUID,
    status: StatusChange,
) -> None:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        _, m = await course_and_membership(conn, course_id, actor_id, lock=True, for_change=True)
        access.require(access.can_set_member_status, m, "change a student's status")
        target = access.Membership.of(await store.membership(conn, course_id, user_id))
        if not access.is_student(target):
            raise NotFound("No such student in this course.", code="member_not_found")
        before = target.status.value  # type: ignore[union-attr]
        if before == status.value:
            uow.unchanged()
            return
        await store.set_status(conn, course_id, user_id, status.value, now)
        uow.record(
            _membership_event("member.status_changed", course_id, user_id, now, status=status.value)
        )
        uow.audit(
            "member.status_change",
            target=("member", f"{course_id}:{user_id}"),
            changes={"status": [before, status.value]},
        )
        if status is StatusChange.removed:
            await courses_store.free_seat(conn, course_id)
            uow.record(
                _membership_event("enrollment.removed", course_id, user_id, now, reason="removed")
            )
        await log_if_assistant(
            conn,
            m,
            course_id=course_id,
            actor_id=actor_id,
            action="member.status_changed",
            now=now,
            user_id=str(user_id),
            status=status.value,
        )


async def assign_assistant(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    course_id: uuid.UUID,
    user_id: uuid.UUID,
    data: AssistantUpdate,
) -> AssistantRead:
    perms = data.permissions.model_dump()
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        _, m = await course_and_membership(
            conn, course_id, context.actor_id, lock=True, for_change=True
        )
        access.require(access.can_manage_assistants, m, "manage assistants")
        user = await courses_store.public_profile(conn, user_id)
        if user is None or user["status"] != "active":
            raise NotFound("No such user.", code="user_not_found")
        target = access.Membership.of(await store.membership(conn, course_id, user_id))
        if access.is_owner(target):
            raise InvalidInput("The owner cannot be an assistant.", code="invalid_assistant")
        if access.is_student(target):
            raise Conflict("This user is a student of the course.", code="member_is_student")
        before = target.permissions.as_dict() if access.is_assistant(target) else None
        await store.upsert_assistant(
            conn, course_id=course_id, user_id=user_id, permissions=perms, now=now
        )
        uow.record(
            _membership_event("assistant.assigned", course_id, user_id, now, permissions=perms)
        )
        uow.audit(
            "assistant.assign",
            target=("assistant", f"{course_id}:{user_id}"),
            changes=changes_between(before, perms),
        )
    return AssistantRead(course_id=course_id, user_id=user_id, name=user["name"], permissions=perms)


async def revoke_assistant(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    course_id: uuid.UUID,
    user_id: uuid.UUID,
) -> None:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        _, m = await course_and_membership(
            conn, course_id, context.actor_id, lock=True, for_change=True
        )
        access.require(access.can_manage_assistants, m, "manage assistants")
        target = access.Membership.of(await store.membership(conn, course_id, user_id))
        if not access.is_assistant(target):
            raise NotFound("No such assistant in this course.", code="member_not_found")
        await store.delete(conn, course_id, user_id)
        uow.record(_membership_event("assistant.revoked", course_id, user_id, uow.now))
        uow.audit(
            "assistant.revoke",
            target=("assistant", f"{course_id}:{user_id}"),
            changes={"role": ["assistant", None]},
        )


async def activity(
    *,
    pool: Pool,
    actor_id: uuid.UUID,
    course_id: uuid.UUID,
    query: ActivityQuery,
) -> ActivityPage:
    before = None
    if query.cursor is not None:
        (before,) = decode_cursor(query.cursor, 1)
        if not isinstance(before, int):
            raise InvalidInput("The cursor is not valid.", code="invalid_cursor")
    async with pool.acquire() as conn:
        _, m = await course_and_membership(conn, course_id, actor_id)
        access.require(access.can_view_activity, m, "see the assistants' activity")
        rows = await store.activity_page(conn, course_id, before_id=before, limit=query.limit + 1)
    items = [
        ActivityEntry(**{**dict(r), "subject": json.loads(r["subject"])})
        for r in rows[: query.limit]
    ]
    more = len(rows) > query.limit
    return ActivityPage(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)
