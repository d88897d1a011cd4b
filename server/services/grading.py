"""Grading: a draft grade only staff see, then publishing it to the student."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import asyncpg

from server.domain import assignment_access as rules
from server.domain import submissions as subs
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.errors import InvalidInput, NotFound
from server.domain.events import DomainEvent, event, user_stream
from server.domain.submission_views import PublishGradesResult, StaffSubmissionRead
from server.pg_pool import Pool
from server.services.assignment_views import assignment_and_membership, questions_of
from server.services.course_context import log_if_assistant
from server.services.submission_views import staff_read, submission_event
from server.services.unit_of_work import UnitOfWork, unit_of_work
from server.stores import submissions as store


async def _submission_for_grader(
    conn: asyncpg.Connection, submission_id: uuid.UUID, actor_id: uuid.UUID, action: str
) -> tuple[asyncpg.Record, asyncpg.Record, object]:
    sub = await store.get(conn, submission_id, lock=True)
    if sub is None:
        raise NotFound("No such submission.", code="submission_not_found")
    row, m = await assignment_and_membership(conn, sub["assignment_id"], actor_id)
    if not rules.can_read_submission(m, own=sub["student_id"] == actor_id):
        raise NotFound("No such submission.", code="submission_not_found")
    rules.require(rules.can_grade, m, action)
    return sub, row, m


async def save_draft_grade(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    submission_id: uuid.UUID,
    grade: subs.GradeUpdate,
) -> StaffSubmissionRead:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        sub, row, m = await _submission_for_grader(conn, submission_id, actor_id, "grade")
        subs.check_grade(questions_of(row), grade, row["max_score"])
        score = grade.score
        if score is None:
            raw = subs.total(json.loads(sub["question_results"]), grade.question_scores)
            if raw is None:
                raise InvalidInput(
                    "Score every hand-graded answer in question_scores, or give a score.",
                    code="grade_incomplete",
                )
            score = subs.with_penalty(raw, sub["penalty_percent"])
        await store.save_draft_grade(
            conn,
            submission_id,
            score=score,
            feedback=grade.feedback,
            question_scores=grade.question_scores,
            graded_by=actor_id,
            now=now,
        )
        saved = await store.get(conn, submission_id)
        await log_if_assistant(
            conn,
            m,
            course_id=row["course_id"],
            actor_id=actor_id,
            action="submission.graded",
            now=now,
            submission_id=submission_id,
        )
        uow.record(await submission_event(conn, "submission.updated", saved, now))
        uow.audit(
            "grade.save",
            target=("grade", submission_id),
            changes=changes_between(_grade_of(sub), _grade_of(saved)),
        )
        return staff_read(saved, row["max_score"])


def _grade_of(sub: asyncpg.Record) -> dict[str, object]:
    return {
        "score": sub["score"],
        "feedback": sub["feedback"],
        "question_scores": json.loads(sub["question_scores"] or "null"),
    }


def _grade_event(published: asyncpg.Record, row: asyncpg.Record, now: datetime) -> DomainEvent:
    """To that student only: their own grade and feedback."""
    return event(
        "grade.published",
        user_stream(published["student_id"]),
        at=now,
        submission_id=str(published["id"]),
        assignment_id=str(row["id"]),
        course_id=str(row["course_id"]),
        title=row["title"],
        score=published["score"],
        max_score=row["max_score"],
        feedback=published["feedback"] or "",
        question_scores=json.loads(published["question_scores"] or "{}"),
    )


async def _publish(
    uow: UnitOfWork, row: asyncpg.Record, m: object, *, submission_id: uuid.UUID | None
) -> int:
    """Publish the drafts; a call that finds none to publish changes nothing."""
    conn, now = uow.conn, uow.now
    published = await store.publish_grades(
        conn, assignment_id=row["id"], submission_id=submission_id, now=now
    )
    if not published:
        uow.unchanged()
        return 0
    uow.record(*(_grade_event(p, row, now) for p in published))
    for p in published:
        saved = await store.get(conn, p["id"])
        uow.record(await submission_event(conn, "submission.updated", saved, now))
        uow.audit(
            "grade.publish",
            target=("grade", p["id"]),
            changes={"published_score": [None, p["score"]]},
        )
    await log_if_assistant(
        conn,
        m,  # type: ignore[arg-type]
        course_id=row["course_id"],
        actor_id=uow.actor_id,
        action="grades.published",
        now=now,
        assignment_id=row["id"],
        count=len(published),
    )
    return len(published)


async def publish_grade(
    *, pool: Pool, clock: Clock, context: RequestContext, submission_id: uuid.UUID
) -> StaffSubmissionRead:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        sub, row, m = await _submission_for_grader(
            conn, submission_id, context.actor_id, "publish grades"
        )
        if sub["graded_at"] is None:
            raise InvalidInput("Grade the submission before publishing.", code="not_graded")
        await _publish(uow, row, m, submission_id=submission_id)
        return staff_read(await store.get(conn, submission_id), row["max_score"])


async def publish_grades(
    *, pool: Pool, clock: Clock, context: RequestContext, assignment_id: uuid.UUID
) -> PublishGradesResult:
    """Every newest submission with an unpublished draft grade; the ungraded ones wait."""
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        row, m = await assignment_and_membership(conn, assignment_id, context.actor_id, lock=True)
        rules.require_visible_assignment(m, published=row["published_at"] is not None)
        rules.require(rules.can_grade, m, "publish grades")
        count = await _publish(uow, row, m, submission_id=None)
        waiting = await store.ungraded_latest(conn, assignment_id)
    return PublishGradesResult(published=count, waiting_for_review=waiting)
