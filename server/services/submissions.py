"""Handing work in: exam attempts, submissions (idempotent), a student's history, and the
staff's reading of submissions."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass

import asyncpg

from server.domain import assignment_access as rules
from server.domain import submissions as subs
from server.domain.assignments import AssignmentKind
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.course_access import Membership
from server.domain.errors import Conflict, InvalidInput
from server.domain.submission_views import (
    AttemptRead,
)
from server.pg_pool import Pool
from server.services.assignment_views import (
    assignment_and_membership,
    late_policy_of,
    questions_of,
)
from server.services.submission_views import student_read, submission_event
from server.services.unit_of_work import unit_of_work
from server.stores import assignments as assignments_store
from server.stores import submissions as store
from server.stores import uploads


@dataclass(frozen=True)
class Submitted:
    body: str  # the JSON of the response, byte for byte the same when replayed
    replayed: bool


def _attempt_read(row: asyncpg.Record) -> AttemptRead:
    return AttemptRead(**{k: row[k] for k in AttemptRead.model_fields})


def _no_more_attempts(max_attempts: int) -> Conflict:
    return Conflict(
        "Every attempt has been used.",
        code="max_attempts_reached",
        details=[{"max_attempts": max_attempts}],
    )


async def as_student(
    conn: asyncpg.Connection, assignment_id: uuid.UUID, actor_id: uuid.UUID, action: str
) -> tuple[asyncpg.Record, Membership | None]:
    row, m = await assignment_and_membership(conn, assignment_id, actor_id)
    rules.require_visible_assignment(m, published=row["published_at"] is not None)
    rules.require(rules.can_submit, m, action)
    return row, m


async def start_attempt(
    *, pool: Pool, clock: Clock, context: RequestContext, assignment_id: uuid.UUID
) -> tuple[AttemptRead, bool]:
    """A new timed attempt (True), or the one still running (False)."""
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        row, m = await as_student(conn, assignment_id, actor_id, "take exams")
        rules.require_result_open(m, "take exams")
        if row["kind"] != AssignmentKind.exam:
            raise InvalidInput("Only exams have timed attempts.", code="not_an_exam")
        running = await store.open_attempt(conn, assignment_id, actor_id, lock=True)
        if running is not None and now <= running["deadline"] + subs.ATTEMPT_SLACK:
            uow.unchanged()
            return _attempt_read(running), False
        policy = late_policy_of(row)
        subs.lateness(
            now=now, due_at=row["due_at"], grace_minutes=row["grace_minutes"], policy=policy
        )  # raises deadline_passed when it may not start any more
        number = await assignments_store.take_attempt(
            conn, assignment_id, actor_id, row["max_attempts"]
        )
        if number is None:
            raise _no_more_attempts(row["max_attempts"])
        deadline = subs.attempt_deadline(
            start=now,
            due_at=row["due_at"],
            grace_minutes=row["grace_minutes"],
            time_limit_minutes=row["time_limit_minutes"],
            policy=policy,
        )
        attempt_id = uuid.uuid4()
        await store.insert_attempt(
            conn,
            id=attempt_id,
            assignment_id=assignment_id,
            student_id=actor_id,
            attempt=number,
            started_at=now,
            deadline=deadline,
        )
        uow.audit(
            "attempt.start",
            target=("attempt", attempt_id),
            changes={
                "assignment_id": [None, str(assignment_id)],
                "attempt": [None, number],
                "deadline": [None, deadline.isoformat()],
            },
        )
        return AttemptRead(
            id=attempt_id,
            assignment_id=assignment_id,
            attempt=number,
            started_at=now,
            deadline=deadline,
            submitted=False,
        ), True


# What a submission's audit entry shows (the answers stay in the submission).
_AUDITED = (
    "assignment_id",
    "student_id",
    "attempt",
    "submitted_at",
    "late",
    "seconds_late",
    "penalty_percent",
    "auto_score",
    "score",
)


def request_hash(data: subs.SubmissionCreate) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


async def submit(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    assignment_id: uuid.UUID,
    data: subs.SubmissionCreate,
    idempotency_key: str | None,
) -> Submitted:
    actor_id = context.actor_id
    # The server's time (uow.now) stamps the work, whatever the device says.
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        row, m = await as_student(conn, assignment_id, actor_id, "hand in work")
        if idempotency_key is not None:
            digest = request_hash(data)
            if not await store.claim_key(
                conn,
                assignment_id=assignment_id,
                student_id=actor_id,
                key=idempotency_key,
                request_hash=digest,
                now=now,
            ):
                uow.unchanged()
                return _replay(
                    await store.claimed_request(
                        conn, assignment_id=assignment_id, student_id=actor_id, key=idempotency_key
                    ),
                    digest,
                )
        # After the replay: work accepted before the result was set keeps its answer.
        rules.require_result_open(m, "hand in work")
        questions = questions_of(row)
        subs.check_answers(questions, data.answers)
        await _attach_files(conn, questions, data, actor_id, row["course_id"])
        policy = late_policy_of(row)
        if row["kind"] == AssignmentKind.exam:
            attempt = await store.close_open_attempt(conn, assignment_id, actor_id, now)
            if attempt is None:
                raise Conflict("Start an attempt before answering.", code="attempt_required")
            subs.check_attempt_open(now=now, deadline=attempt["deadline"])  # else rolled back
            # Inside the slack the answers count as handed in at the deadline.
            timing = subs.lateness(
                now=min(now, attempt["deadline"]),
                due_at=row["due_at"],
                grace_minutes=row["grace_minutes"],
                policy=policy,
            )
            number = attempt["attempt"]
        else:
            timing = subs.lateness(
                now=now, due_at=row["due_at"], grace_minutes=row["grace_minutes"], policy=policy
            )
            number = await assignments_store.take_attempt(
                conn, assignment_id, actor_id, row["max_attempts"]
            )
            if number is None:
                raise _no_more_attempts(row["max_attempts"])
        graded = subs.auto_grade(questions, data.answers)
        # The row as stored, built here rather than read back: one round trip less per
        # submission when a whole class hands in at once.
        saved = {
            "id": uuid.uuid4(),
            "assignment_id": assignment_id,
            "course_id": row["course_id"],
            "student_id": actor_id,
            "attempt": number,
            "submitted_at": now,
            "answers": json.dumps(
                [a.model_dump(mode="json", exclude_none=True) for a in data.answers]
            ),
            "late": timing.late,
            "seconds_late": timing.seconds_late,
            "penalty_percent": timing.penalty_percent,
            "auto_score": graded.auto_score,
            "needs_review": graded.needs_review,
            "question_results": graded.question_results,
            # Nothing left for a human: the automatic score is the draft grade.
            "score": None
            if graded.needs_review
            else subs.with_penalty(graded.auto_score, timing.penalty_percent),
            "question_scores": None if graded.needs_review else {},
            "graded_at": None if graded.needs_review else now,
            "grade_published_at": None,
        }
        await store.insert(conn, **saved)
        body = student_read(saved, row["max_score"]).model_dump_json()
        if idempotency_key is not None:
            await store.store_response(
                conn,
                assignment_id=assignment_id,
                student_id=actor_id,
                key=idempotency_key,
                response=body,
            )
        uow.record(await submission_event(conn, "submission.created", saved, now))
        uow.audit(
            "submission.create",
            target=("submission", saved["id"]),
            changes=changes_between(None, saved, fields=_AUDITED),
        )
        return Submitted(body, replayed=False)


def _replay(claimed: asyncpg.Record | None, digest: str) -> Submitted:
    if claimed is None or claimed["response"] is None:  # cannot happen once the owner commits
        raise Conflict("A request with this key is in progress.", code="request_in_progress")
    if claimed["request_hash"] != digest:
        raise InvalidInput(
            "This Idempotency-Key was used with a different body.", code="idempotency_key_reused"
        )
    return Submitted(claimed["response"], replayed=True)


async def _attach_files(
    conn: asyncpg.Connection,
    questions: list,
    data: subs.SubmissionCreate,
    actor_id: uuid.UUID,
    course_id: uuid.UUID,
) -> None:
    # check_answers let file ids through only on file questions.
    files = [a.file_id for a in data.answers if a.file_id is not None]
    if refused := await uploads.attach(conn, files, uploader_id=actor_id, course_id=course_id):
        raise InvalidInput(
            "Answer with files you uploaded yourself.",
            code="invalid_answers",
            details=[{"file_ids": [str(f) for f in refused]}],
        )
