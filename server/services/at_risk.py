"""Students at risk: the staff's list on demand, and the weekly digest recorded once per course
and week across processes (its loop is `server/jobs/at_risk_digest.py`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase

from server.domain import assignment_access as rules
from server.domain import at_risk
from server.domain.clock import Clock
from server.domain.context import SYSTEM
from server.domain.display import DEFAULT_DISPLAY, Locale
from server.pg_pool import Pool
from server.services.assignment_stats import CourseFacts, course_facts
from server.services.course_context import course_and_membership
from server.services.display import caller_display
from server.services.unit_of_work import unit_of_work
from server.stores import assignment_stats as store
from server.stores import at_risk_digests as digests
from server.stores import courses as courses_store

DIGEST_BATCH = 100


class _NothingToSend(Exception):
    """Another process has sent this week's digest, or the course is gone."""


async def assess_course(
    conn: asyncpg.Connection,
    course: asyncpg.Record,
    *,
    params: at_risk.AtRiskParameters,
    zone: ZoneInfo,
    locale: Locale,
    now: datetime,
    facts: CourseFacts | None = None,
) -> at_risk.AtRiskReport:
    """`facts`: already loaded ones to reuse (assignments not yet due are ignored anyway)."""
    facts = facts or await course_facts(conn, course["id"], due_to=now)
    activity = await store.last_activity(conn, course["id"])
    students = [
        at_risk.StudentFacts(s["user_id"], s["name"], s["joined_at"], activity.get(s["user_id"]))
        for s in facts.students
        if s["status"] == "active"
    ]
    return at_risk.assess(
        course_id=course["id"],
        title=course["title"],
        students=students,
        assignments=facts.assignments,
        work=facts.work,
        params=params,
        zone=zone,
        locale=locale,
        now=now,
    )


async def course_at_risk(
    *,
    pool: Pool,
    mongo: AsyncDatabase,
    clock: Clock,
    actor_id: uuid.UUID,
    course_id: uuid.UUID,
    query: at_risk.AtRiskQuery,
) -> at_risk.AtRiskReport:
    display = await caller_display(mongo, actor_id, query.tz)
    async with pool.acquire() as conn:
        course, m = await course_and_membership(conn, course_id, actor_id)
        rules.require(rules.can_read_work, m, "see which students are at risk")
        return await assess_course(
            conn, course, params=query, zone=display.zone, locale=display.locale, now=clock.now()
        )


async def courses_owing_digest(
    *, pool: Pool, clock: Clock, after: uuid.UUID | None
) -> tuple[date, list[uuid.UUID]]:
    """This week's key and the next batch of courses (by id, after `after`) still owing it."""
    now, zone = clock.now(), DEFAULT_DISPLAY.zone
    week = at_risk.digest_week(now, zone)
    async with pool.acquire() as conn:
        rows = await digests.courses_due(
            conn, week, now.astimezone(zone).date(), after, DIGEST_BATCH
        )
    return week, [r["id"] for r in rows]


async def send_digest(*, pool: Pool, clock: Clock, course_id: uuid.UUID, week: date) -> bool:
    """Claim the course's digest for `week` and record `course.at_risk_digest` when someone is
    at risk, in one unit of work: exactly once, also with several processes scanning. Returns
    whether an event was recorded."""
    try:
        async with unit_of_work(pool=pool, clock=clock, context=SYSTEM) as uow:
            if not await digests.claim(uow.conn, course_id, week, uow.now):
                raise _NothingToSend  # leaves the unit of work without writing
            course = await courses_store.get(uow.conn, course_id)
            if course is None or course["deleted_at"] is not None:
                raise _NothingToSend
            report = await assess_course(
                uow.conn,
                course,
                params=at_risk.AtRiskParameters(),
                zone=DEFAULT_DISPLAY.zone,
                locale=DEFAULT_DISPLAY.locale,
                now=uow.now,
            )
            flagged = report.counts.at_risk
            await digests.record_count(uow.conn, course_id, week, flagged)
            if flagged:  # a quiet week is claimed without telling the staff anything
                uow.record(at_risk.digest_event(report, week=week, now=uow.now))
            uow.audit(
                "at_risk_digest.record",
                target=("course", course_id),
                changes={"week": [None, week.isoformat()], "at_risk": [None, flagged]},
            )
    except _NothingToSend:  # rolled back: nothing was written
        return False
    return bool(flagged)
