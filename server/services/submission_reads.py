"""Reading submissions: a student's own history, a teacher's list per assignment, one submission."""

from __future__ import annotations

import uuid

from server.domain import assignment_access as rules
from server.domain.cursors import encode_cursor
from server.domain.errors import NotFound
from server.domain.submission_views import (
    StaffSubmissionRead,
    SubmissionHistory,
    SubmissionPage,
    SubmissionQuery,
    SubmissionRead,
)
from server.pg_pool import Pool
from server.services.assignment_views import (
    assignment_and_membership,
    keyset_after,
)
from server.services.submission_views import staff_read, student_read
from server.services.submissions import as_student
from server.stores import assignments as assignments_store
from server.stores import submissions as store


async def my_submissions(
    *, pool: Pool, actor_id: uuid.UUID, assignment_id: uuid.UUID
) -> SubmissionHistory:
    async with pool.acquire() as conn:
        row, _ = await as_student(conn, assignment_id, actor_id, "hand in work")
        rows = await store.history(conn, assignment_id, actor_id)
        used = await assignments_store.attempts_used(conn, assignment_id, actor_id)
    return SubmissionHistory(
        items=[student_read(r, row["max_score"]) for r in rows],
        attempts_used=used,
        max_attempts=row["max_attempts"],
    )


async def list_submissions(
    *, pool: Pool, actor_id: uuid.UUID, assignment_id: uuid.UUID, query: SubmissionQuery
) -> SubmissionPage:
    after = keyset_after(query.cursor)
    async with pool.acquire() as conn:
        row, m = await assignment_and_membership(conn, assignment_id, actor_id)
        rules.require_visible_assignment(m, published=row["published_at"] is not None)
        rules.require(rules.can_read_work, m, "read submissions")
        rows = await store.staff_page(
            conn,
            assignment_id,
            late=None if query.status is None else query.status == "late",
            needs_review=query.needs_review,
            grade_state=query.grade_state,
            all_attempts=query.all_attempts,
            after=after,
            limit=query.limit + 1,
        )
    items = [staff_read(r, row["max_score"]) for r in rows[: query.limit]]
    last = rows[query.limit - 1] if len(rows) > query.limit else None
    cursor = encode_cursor(last["submitted_at"].isoformat(), last["id"]) if last else None
    return SubmissionPage(items=items, next_cursor=cursor)


async def get_submission(
    *, pool: Pool, actor_id: uuid.UUID, submission_id: uuid.UUID
) -> SubmissionRead | StaffSubmissionRead:
    async with pool.acquire() as conn:
        sub = await store.get(conn, submission_id)
        if sub is None:
            raise NotFound("No such submission.", code="submission_not_found")
        row, m = await assignment_and_membership(conn, sub["assignment_id"], actor_id)
    if rules.can_read_work(m):
        return staff_read(sub, row["max_score"])
    if not rules.can_read_submission(m, own=sub["student_id"] == actor_id):
        raise NotFound("No such submission.", code="submission_not_found")
    return student_read(sub, row["max_score"])
