"""Assignment lists: a course's (staff see drafts), and a student's activities across courses."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from server.domain import course_access as access
from server.domain.assignments import (
    STAFF_FILTERS,
    STUDENT_FILTERS,
    AssignmentPage,
    AssignmentQuery,
)
from server.domain.clock import Clock
from server.domain.cursors import encode_cursor
from server.domain.errors import InvalidInput
from server.pg_pool import Pool
from server.services.assignment_views import (
    item,
    keyset_after,
)
from server.services.course_context import course_and_membership
from server.stores import assignments as store


def _page(rows: list[asyncpg.Record], limit: int, *, staff: bool) -> AssignmentPage:
    items = [item(r, staff=staff) for r in rows[:limit]]
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return AssignmentPage(
        items=items,
        next_cursor=encode_cursor(last["due_at"].isoformat(), last["id"]) if last else None,
    )


async def list_course_assignments(
    *,
    pool: Pool,
    clock: Clock,
    actor_id: uuid.UUID,
    course_id: uuid.UUID,
    query: AssignmentQuery,
) -> AssignmentPage:
    after = keyset_after(query.cursor)
    async with pool.acquire() as conn:
        _, m = await course_and_membership(conn, course_id, actor_id)
        if access.is_staff(m):
            if query.status is not None and query.status not in STAFF_FILTERS:
                raise InvalidInput("Staff filter by draft or published.", code="invalid_filter")
            rows = await store.staff_page(
                conn,
                course_id,
                published=None if query.status is None else query.status == "published",
                due_from=query.due_from,
                due_to=query.due_to,
                after=after,
                limit=query.limit + 1,
            )
            return _page(rows, query.limit, staff=True)
        access.require(access.is_student, m, "see the assignments")
        return await _student_page(conn, clock, actor_id, course_id, query, after)


async def my_activities(
    *, pool: Pool, clock: Clock, actor_id: uuid.UUID, query: AssignmentQuery
) -> AssignmentPage:
    """ "Mis actividades": the published assignments of every course the caller studies in."""
    after = keyset_after(query.cursor)
    async with pool.acquire() as conn:
        return await _student_page(conn, clock, actor_id, None, query, after)


async def _student_page(
    conn: asyncpg.Connection,
    clock: Clock,
    actor_id: uuid.UUID,
    course_id: uuid.UUID | None,
    query: AssignmentQuery,
    after: tuple[datetime, uuid.UUID] | None,
) -> AssignmentPage:
    if query.status is not None and query.status not in STUDENT_FILTERS:
        raise InvalidInput(
            "Filter by pending, submitted, late, graded or missing.", code="invalid_filter"
        )
    rows = await store.student_page(
        conn,
        actor_id,
        now=clock.now(),
        course_id=course_id,
        status=query.status,
        due_from=query.due_from,
        due_to=query.due_to,
        after=after,
        limit=query.limit + 1,
    )
    return _page(rows, query.limit, staff=False)
