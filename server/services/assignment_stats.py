"""Statistics use cases: a course's progress for its staff (JSON, CSV, XLSX) and a student's
own progress across their courses."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid

import asyncpg
from openpyxl import Workbook

from server.domain import assignment_access as rules
from server.domain import assignment_stats as stats
from server.domain.clock import Clock
from server.pg_pool import Pool
from server.services.course_context import course_and_membership
from server.stores import assignment_stats as store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _facts(rows: list[asyncpg.Record]) -> list[stats.AssignmentFacts]:
    return [
        stats.AssignmentFacts(r["id"], r["title"], r["due_at"], r["grace_minutes"], r["max_score"])
        for r in rows
    ]


def _work(rows: list[asyncpg.Record]) -> list[stats.WorkFacts]:
    return [
        stats.WorkFacts(r["assignment_id"], r["student_id"], r["late"], r["published_score"])
        for r in rows
    ]


async def course_stats(
    *,
    pool: Pool,
    clock: Clock,
    actor_id: uuid.UUID,
    course_id: uuid.UUID,
    query: stats.StatsQuery,
) -> stats.CourseStats:
    async with pool.acquire() as conn:
        _, m = await course_and_membership(conn, course_id, actor_id)
        rules.require(rules.can_read_work, m, "see the course's statistics")
        assignments = await store.published_assignments(
            conn, [course_id], due_from=query.from_, due_to=query.to
        )
        students = await store.course_students(conn, course_id)
        work = await store.latest_work(conn, [a["id"] for a in assignments])
    return stats.course_stats(
        course_id=course_id,
        assignments=_facts(assignments),
        students=[(s["user_id"], s["name"]) for s in students],
        work=_work(work),
        now=clock.now(),
    )


def to_csv(course: stats.CourseStats, table: str) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(stats.table_rows(course, table))
    return out.getvalue().encode()


def _xlsx(course: stats.CourseStats) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Assignments"
    for row in stats.table_rows(course, "assignments"):
        sheet.append(row)
    students = book.create_sheet("Students")
    for row in stats.table_rows(course, "students"):
        students.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def to_xlsx(course: stats.CourseStats) -> bytes:
    """Both tables, one sheet each. openpyxl is CPU-bound and synchronous: off the loop."""
    return await asyncio.to_thread(_xlsx, course)


async def my_stats(*, pool: Pool, clock: Clock, actor_id: uuid.UUID) -> stats.MyStats:
    async with pool.acquire() as conn:
        courses = await store.learning_courses(conn, actor_id)
        assignments = await store.published_assignments(conn, [c["id"] for c in courses])
        work = await store.latest_work(conn, [a["id"] for a in assignments], actor_id)
    now = clock.now()
    facts = _work(work)
    return stats.MyStats(
        courses=[
            stats.my_course_stats(
                course_id=c["id"],
                title=c["title"],
                assignments=_facts([a for a in assignments if a["course_id"] == c["id"]]),
                work=facts,
                now=now,
            )
            for c in courses
        ]
    )
