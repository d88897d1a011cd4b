"""Feedback use cases: a student rates a course; staff list it; staff rate a student."""

from __future__ import annotations

import uuid
from datetime import datetime

from server.domain import course_access as access
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.course_access import Membership
from server.domain.course_feedback import (
    CourseFeedbackPage,
    CourseFeedbackQuery,
    CourseFeedbackRead,
    FeedbackBody,
    MyFeedbackQuery,
    StudentFeedbackPage,
    StudentFeedbackRead,
    distribution,
)
from server.domain.cursors import decode_cursor, encode_cursor
from server.domain.errors import NotFound
from server.domain.events import course_staff_stream, event, user_stream
from server.pg_pool import Pool
from server.services.course_context import course_and_membership, log_if_assistant
from server.services.unit_of_work import unit_of_work
from server.stores import course_feedback as store
from server.stores import memberships as members_store


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    return decode_cursor(cursor, datetime, uuid.UUID)  # type: ignore[return-value]


async def rate_course(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    course_id: uuid.UUID,
    data: FeedbackBody,
) -> tuple[CourseFeedbackRead, bool]:
    """The student's feedback, and whether it was created (else edited)."""
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        _, m = await course_and_membership(conn, course_id, actor_id, for_change=True)
        access.require(access.can_rate_course, m, "rate the course (students only)")
        access.require_result_open(m, "rate the course")
        before = await store.one_course_feedback(conn, course_id, actor_id)
        created = await store.upsert_course_feedback(
            conn,
            course_id=course_id,
            student_id=actor_id,
            rating=data.rating,
            comment=data.comment,
            now=now,
        )
        uow.record(
            event(
                "feedback.received",
                course_staff_stream(course_id),
                at=now,
                course_id=str(course_id),
                user_id=str(actor_id),
                about="course",
                rating=data.rating,
                created=created,
            )
        )
        uow.audit(
            "course_feedback.create" if created else "course_feedback.update",
            target=("course_feedback", f"{course_id}:{actor_id}"),
            changes=changes_between(before, {"rating": data.rating, "comment": data.comment}),
        )
        row = await store.one_course_feedback(conn, course_id, actor_id)
    return CourseFeedbackRead(**dict(row)), created


async def list_course_feedback(
    *, pool: Pool, actor_id: uuid.UUID, course_id: uuid.UUID, query: CourseFeedbackQuery
) -> CourseFeedbackPage:
    async with pool.acquire() as conn:
        _, m = await course_and_membership(conn, course_id, actor_id)
        access.require(access.can_read_course_feedback, m, "read the course's feedback")
        rows, counts = await store.course_feedback(
            conn,
            course_id,
            rating=query.rating,
            since=query.from_date,
            until=query.to_date,
            after=_after(query.cursor),
            limit=query.limit + 1,
        )
    items = [CourseFeedbackRead(**dict(r)) for r in rows[: query.limit]]
    more = len(rows) > query.limit
    count, average, dist = distribution(counts)
    return CourseFeedbackPage(
        items=items,
        next_cursor=encode_cursor(items[-1].updated_at, items[-1].student_id) if more else None,
        count=count,
        average=average,
        distribution=dist,
    )


async def rate_student(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    course_id: uuid.UUID,
    student_id: uuid.UUID,
    data: FeedbackBody,
) -> StudentFeedbackRead:
    actor_id, feedback_id = context.actor_id, uuid.uuid4()
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        _, m = await course_and_membership(conn, course_id, actor_id, for_change=True)
        access.require(access.can_give_student_feedback, m, "give feedback to students")
        target = Membership.of(await members_store.membership(conn, course_id, student_id))
        if not access.is_student(target):
            raise NotFound("No such student in this course.", code="member_not_found")
        await store.insert_student_feedback(
            conn,
            feedback_id=feedback_id,
            course_id=course_id,
            student_id=student_id,
            author_id=actor_id,
            rating=data.rating,
            comment=data.comment,
            now=now,
        )
        await log_if_assistant(
            conn,
            m,
            course_id=course_id,
            actor_id=actor_id,
            action="student_feedback.created",
            now=now,
            user_id=str(student_id),
            feedback_id=str(feedback_id),
        )
        uow.record(
            event(
                "feedback.received",
                user_stream(student_id),
                course_staff_stream(course_id),
                at=now,
                course_id=str(course_id),
                user_id=str(student_id),
                about="student",
                feedback_id=str(feedback_id),
            )
        )
        uow.audit(
            "feedback.create",
            target=("feedback", feedback_id),
            changes=changes_between(
                None,
                {
                    "course_id": course_id,
                    "student_id": student_id,
                    "rating": data.rating,
                    "comment": data.comment,
                },
            ),
        )
        [row] = await store.received_feedback(conn, student_id, feedback_id=feedback_id)
    return StudentFeedbackRead(**dict(row))


async def my_feedback(
    *, pool: Pool, actor_id: uuid.UUID, query: MyFeedbackQuery
) -> StudentFeedbackPage:
    async with pool.acquire() as conn:
        rows = await store.received_feedback(
            conn,
            actor_id,
            course_id=query.course_id,
            rating=query.rating,
            since=query.from_date,
            until=query.to_date,
            after=_after(query.cursor),
            limit=query.limit + 1,
        )
    items = [StudentFeedbackRead(**dict(r)) for r in rows[: query.limit]]
    more = len(rows) > query.limit
    return StudentFeedbackPage(
        items=items,
        next_cursor=encode_cursor(items[-1].created_at, items[-1].id) if more else None,
    )
