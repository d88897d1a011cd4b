"""Statistics use cases: a course's progress for its staff (JSON, CSV, XLSX) and a student's
own progress across their courses."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from openpyxl import Workbook

from server.domain import assignment_access as rules
from server.domain import assignment_stats as stats
from server.domain.clock import Clock
from server.domain.stats_tables import SHEETS, table_rows
from server.domain.stats_trends import TrendBucket
from server.pg_pool import Pool
from server.services.course_context import course_and_membership
from server.stores import assignment_stats as store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def assignment_facts(rows: list[asyncpg.Record]) -> list[stats.AssignmentFacts]:
    return [
        stats.AssignmentFacts(r["id"], r["title"], r["due_at"], r["grace_minutes"], r["max_score"])
        for r in rows
    ]


def work_facts(rows: list[asyncpg.Record]) -> list[stats.WorkFacts]:
    return [
        stats.WorkFacts(r["assignment_id"], r["student_id"], r["late"], r["published_score"])
        for r in rows
    ]


@dataclass(frozen=True)
class CourseFacts:
    """What a course's statistics are computed from (students: user_id, name, status,
    joined_at)."""

    assignments: list[stats.AssignmentFacts]
    students: list[asyncpg.Record]
    work: list[stats.WorkFacts]

    def stats(self, course_id: uuid.UUID, now: datetime) -> stats.CourseStats:
        return stats.course_stats(
            course_id=course_id,
            assignments=self.assignments,
            students=[(s["user_id"], s["name"]) for s in self.students],
            work=self.work,
            now=now,
        )


async def course_facts(
    conn: asyncpg.Connection,
    course_id: uuid.UUID,
    *,
    due_from: datetime | None = None,
    due_to: datetime | None = None,
) -> CourseFacts:
    assignments = await store.published_assignments(
        conn, [course_id], due_from=due_from, due_to=due_to
    )
    students = await store.course_students(conn, course_id)
    work = await store.latest_work(conn, [a["id"] for a in assignments])
    return CourseFacts(assignment_facts(assignments), students, work_facts(work))


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
        facts = await course_facts(conn, course_id, due_from=query.from_, due_to=query.to)
    return facts.stats(course_id, clock.now())


def to_csv(course: stats.CourseStats, table: str, trends: Sequence[TrendBucket] = ()) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(table_rows(course, table, trends))
    return out.getvalue().encode()


def _xlsx(course: stats.CourseStats, trends: Sequence[TrendBucket]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table, title in SHEETS.items():
        sheet = book.create_sheet(title)
        for row in table_rows(course, table, trends):
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def to_xlsx(course: stats.CourseStats, trends: Sequence[TrendBucket] = ()) -> bytes:
    """Every table, one sheet each. openpyxl is CPU-bound and synchronous: off the loop."""
    return await asyncio.to_thread(_xlsx, course, trends)


async def my_stats(*, pool: Pool, clock: Clock, actor_id: uuid.UUID) -> stats.MyStats:
    async with pool.acquire() as conn:
        courses = await store.learning_courses(conn, actor_id)
        assignments = await store.published_assignments(conn, [c["id"] for c in courses])
        work = await store.latest_work(conn, [a["id"] for a in assignments], actor_id)
    return my_stats_of(courses, assignments, work, clock.now())


def my_stats_of(
    courses: list[asyncpg.Record],
    assignments: list[asyncpg.Record],
    work: list[asyncpg.Record],
    now: datetime,
) -> stats.MyStats:
    facts = work_facts(work)
    return stats.MyStats(
        courses=[
            stats.my_course_stats(
                course_id=c["id"],
                title=c["title"],
                assignments=assignment_facts([a for a in assignments if a["course_id"] == c["id"]]),
                work=facts,
                now=now,
            )
            for c in courses
        ]
    )
