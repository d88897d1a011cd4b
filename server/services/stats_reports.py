"""Exports: a course's statistics for its staff as PDF, CSV or XLSX, and a student's own
progress as PDF. One connection gathers everything; rendering runs off the event loop."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from server.domain import assignment_access as rules
from server.domain import course_access as access
from server.domain.at_risk import AtRiskParameters
from server.domain.clock import Clock
from server.domain.stats_tables import ExportQuery, MyExportQuery, my_assignment_rows
from server.pg_pool import Pool
from server.services.assignment_stats import (
    XLSX,
    assignment_facts,
    course_facts,
    my_stats_of,
    to_csv,
    to_xlsx,
    work_facts,
)
from server.services.at_risk import assess_course
from server.services.course_context import course_and_membership
from server.services.display import caller_display
from server.services.feedback_summary import summary_of
from server.services.stats_pdf import (
    CourseReport,
    StudentCourse,
    StudentReport,
    render_course,
    render_student,
)
from server.services.stats_trends import course_buckets, student_buckets
from server.stores import assignment_stats as store
from server.stores import course_feedback as feedback_store
from server.stores import users as users_store

PDF = "application/pdf"


@dataclass(frozen=True)
class Export:
    body: bytes
    content_type: str
    filename: str


async def course_export(
    *,
    pool: Pool,
    mongo: AsyncDatabase,
    clock: Clock,
    actor_id: uuid.UUID,
    course_id: uuid.UUID,
    query: ExportQuery,
) -> Export:
    display = await caller_display(mongo, actor_id, query.tz)
    now = clock.now()
    async with pool.acquire() as conn:
        course, m = await course_and_membership(conn, course_id, actor_id)
        rules.require(rules.can_read_work, m, "export the course's statistics")
        facts = await course_facts(conn, course_id, due_from=query.from_, due_to=query.to)
        buckets = await course_buckets(conn, course_id, query, display.zone, now)
        if query.format == "pdf":
            at_risk = await assess_course(
                conn,
                course,
                params=AtRiskParameters(bucket=query.bucket),
                zone=display.zone,
                locale=display.locale,
                now=now,
                # The same rows, unless a date range narrowed them.
                facts=facts if query.from_ is None and query.to is None else None,
            )
            comments = await feedback_store.course_comments(conn, course_id)
    stats = facts.stats(course_id, now)
    name = f"course-{course_id}"
    if query.format == "csv":
        return Export(to_csv(stats, query.table, buckets), "text/csv", f"{name}-{query.table}.csv")
    if query.format == "xlsx":
        return Export(await to_xlsx(stats, buckets), XLSX, f"{name}-stats.xlsx")
    report = CourseReport(
        title=course["title"],
        display=display,
        generated_at=now,
        stats=stats,
        trends=buckets,
        bucket=query.bucket,
        at_risk=at_risk,
        feedback=await summary_of(comments),
    )
    return Export(await asyncio.to_thread(render_course, report), PDF, f"{name}-report.pdf")


async def my_export(
    *, pool: Pool, mongo: AsyncDatabase, clock: Clock, actor_id: uuid.UUID, query: MyExportQuery
) -> Export:
    """Only the caller's own submissions and feedback are read."""
    display = await caller_display(mongo, actor_id, query.tz)
    now = clock.now()
    async with pool.acquire() as conn:
        if query.course_id is not None:
            _, m = await course_and_membership(conn, query.course_id, actor_id)
            access.require(access.is_student, m, "export your progress (the course's students)")
        courses = [
            c
            for c in await store.learning_courses(conn, actor_id)
            if query.course_id in (None, c["id"])
        ]
        assignments = await store.published_assignments(conn, [c["id"] for c in courses])
        work = await store.latest_work(conn, [a["id"] for a in assignments], actor_id)
        trends = {
            c["id"]: await student_buckets(conn, c["id"], actor_id, query, display.zone, now)
            for c in courses
        }
        me = await users_store.by_id(conn, actor_id)
        comments = await feedback_store.received_comments(conn, actor_id, query.course_id)
    mine = work_facts(work)
    report = StudentReport(
        name=me["name"],
        display=display,
        generated_at=now,
        courses=[
            StudentCourse(
                stats=stats,
                trends=trends[stats.course_id],
                rows=my_assignment_rows(
                    assignment_facts([a for a in assignments if a["course_id"] == stats.course_id]),
                    mine,
                    now,
                ),
            )
            for stats in my_stats_of(courses, assignments, work, now).courses
        ],
        bucket=query.bucket,
        feedback=await summary_of(comments),
    )
    return Export(await asyncio.to_thread(render_student, report), PDF, "my-progress-report.pdf")
