"""Feedback summaries: a course's ratings for its staff, and what a student received."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from server.domain import course_access as access
from server.domain.feedback_summary import Comment, FeedbackSummary, summarize
from server.pg_pool import Pool
from server.services.course_context import course_and_membership
from server.stores import course_feedback as store


def comments(rows: list[asyncpg.Record]) -> list[Comment]:
    return [Comment(r["comment"], r["rating"], r["created_at"]) for r in rows]


async def summary_of(rows: list[asyncpg.Record]) -> FeedbackSummary:
    # TextRank is quadratic in the comments ranked: CPU work, off the event loop.
    return await asyncio.to_thread(summarize, comments(rows))


async def course_feedback_summary(
    *, pool: Pool, actor_id: uuid.UUID, course_id: uuid.UUID
) -> FeedbackSummary:
    async with pool.acquire() as conn:
        _, m = await course_and_membership(conn, course_id, actor_id)
        access.require(access.can_read_course_feedback, m, "read the course's feedback")
        rows = await store.course_comments(conn, course_id)
    return await summary_of(rows)


async def my_feedback_summary(
    *, pool: Pool, actor_id: uuid.UUID, course_id: uuid.UUID | None
) -> FeedbackSummary:
    """Only the caller's own feedback is read: there is nothing to check."""
    async with pool.acquire() as conn:
        rows = await store.received_comments(conn, actor_id, course_id)
    return await summary_of(rows)
