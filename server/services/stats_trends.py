"""Trend use cases: a course's buckets for its staff, and a student's own in one course."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase

from server.domain import assignment_access as rules
from server.domain import course_access as access
from server.domain import stats_trends as trends
from server.domain.assignment_stats import AssignmentFacts
from server.domain.clock import Clock
from server.domain.errors import InvalidInput
from server.pg_pool import Pool
from server.services.assignment_stats import assignment_facts, work_facts
from server.services.course_context import course_and_membership
from server.services.display import caller_display
from server.stores import assignment_stats as store


async def _assignments_in_range(
    conn: asyncpg.Connection,
    course_id: uuid.UUID,
    due_from: datetime | None,
    due_to: datetime | None,
    now: datetime,
) -> tuple[list[AssignmentFacts], datetime, datetime]:
    """The published assignments due in the range, and its ends: explicit ones as given; by
    default from the first due date to now (what is not due yet has no figures to show)."""
    end = due_to or now
    every = assignment_facts(await store.published_assignments(conn, [course_id], due_to=end))
    start = due_from or min(every[0].due_at if every else end, end)
    if start > end:
        raise InvalidInput("`from` must not be after `to`.", code="invalid_range")
    return [a for a in every if a.due_at >= start], start, end


async def course_buckets(
    conn: asyncpg.Connection,
    course_id: uuid.UUID,
    options: trends.TrendOptions,
    zone: ZoneInfo,
    now: datetime,
) -> list[trends.TrendBucket]:
    assignments, start, end = await _assignments_in_range(
        conn, course_id, options.from_, options.to, now
    )
    expected = await store.student_count(conn, course_id)
    counts = {
        r["assignment_id"]: r
        for r in await store.assignment_tallies(conn, course_id, [a.id for a in assignments])
    }
    tallies = []
    for a in assignments:
        c = counts.get(a.id)
        tallies.append(
            trends.AssignmentTally(
                assignment=a,
                expected=expected,
                submitted=c["submitted"] if c else 0,
                on_time=c["on_time"] if c else 0,
                late=c["late"] if c else 0,
                graded=c["graded"] if c else 0,
                percent_sum=100.0 * c["score_sum"] / a.max_score if c and a.max_score else 0.0,
            )
        )
    return trends.trend_buckets(
        tallies, bucket=options.bucket, zone=zone, start=start, end=end, window=options.window
    )


async def student_buckets(
    conn: asyncpg.Connection,
    course_id: uuid.UUID,
    student_id: uuid.UUID,
    options: trends.TrendOptions,
    zone: ZoneInfo,
    now: datetime,
) -> list[trends.TrendBucket]:
    """The student's own figures: only their submissions are read."""
    assignments, start, end = await _assignments_in_range(
        conn, course_id, options.from_, options.to, now
    )
    work = work_facts(await store.latest_work(conn, [a.id for a in assignments], student_id))
    return trends.trend_buckets(
        trends.student_tallies(assignments, work),
        bucket=options.bucket,
        zone=zone,
        start=start,
        end=end,
        window=options.window,
    )


def _trends(
    course_id: uuid.UUID,
    options: trends.TrendOptions,
    timezone: str,
    buckets: list[trends.TrendBucket],
) -> trends.Trends:
    return trends.Trends(
        course_id=course_id,
        bucket=options.bucket,
        timezone=timezone,
        window=options.window,
        buckets=buckets,
    )


async def course_trends(
    *,
    pool: Pool,
    mongo: AsyncDatabase,
    clock: Clock,
    actor_id: uuid.UUID,
    course_id: uuid.UUID,
    query: trends.CourseTrendsQuery,
) -> trends.Trends:
    display = await caller_display(mongo, actor_id, query.tz)
    async with pool.acquire() as conn:
        _, m = await course_and_membership(conn, course_id, actor_id)
        rules.require(rules.can_read_work, m, "see the course's trends")
        buckets = await course_buckets(conn, course_id, query, display.zone, clock.now())
    return _trends(course_id, query, display.timezone, buckets)


async def my_trends(
    *,
    pool: Pool,
    mongo: AsyncDatabase,
    clock: Clock,
    actor_id: uuid.UUID,
    query: trends.MyTrendsQuery,
) -> trends.Trends:
    display = await caller_display(mongo, actor_id, query.tz)
    async with pool.acquire() as conn:
        _, m = await course_and_membership(conn, query.course_id, actor_id)
        access.require(access.is_student, m, "see your trends (the course's students)")
        buckets = await student_buckets(
            conn, query.course_id, actor_id, query, display.zone, clock.now()
        )
    return _trends(query.course_id, query, display.timezone, buckets)
