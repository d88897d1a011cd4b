"""HTTP views for submissions, grades and statistics."""

from __future__ import annotations

import uuid

from aiohttp import web

from server.domain.assignment_stats import CourseStats, MyStats, StatsQuery
from server.domain.stats_tables import ExportQuery
from server.domain.submission_views import (
    PublishGradesResult,
    StaffSubmissionRead,
    SubmissionHistory,
    SubmissionPage,
    SubmissionQuery,
    SubmissionRead,
)
from server.domain.submissions import GradeUpdate, SubmissionCreate
from server.handlers.analytics import attachment
from server.handlers.assignments import assignment_id
from server.handlers.auth_context import mutation_deps, require_user
from server.handlers.errors import ApiError
from server.handlers.io import json_response, path_uuid, read_json, read_query, use_case_deps
from server.handlers.routing import RouteTable
from server.keys import MONGO_DB, PG_POOL
from server.services import assignment_stats, grading, stats_reports, submission_reads, submissions

routes = RouteTable(tag="submissions", prefix="/api/v1")

IDEMPOTENCY_KEY_MAX = 200


def submission_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "submission_id", not_found_code="submission_not_found")


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key.strip()) <= IDEMPOTENCY_KEY_MAX:
        raise ApiError(
            422,
            "invalid_idempotency_key",
            f"Idempotency-Key must have 1 to {IDEMPOTENCY_KEY_MAX} characters.",
        )
    return key.strip()


@routes.post(
    "/assignments/{assignment_id}/submissions",
    summary="Hand in work (honours Idempotency-Key: a retry gets the same response)",
    body=SubmissionCreate,
    response=SubmissionRead,
    status=201,
    errors=(403, 404, 409, 422),
)
async def submit(request: web.Request) -> web.Response:
    user = await require_user(request)
    ident = assignment_id(request)
    key = idempotency_key(request)
    data = await read_json(request, SubmissionCreate)
    done = await submissions.submit(
        **mutation_deps(request, user),
        assignment_id=ident,
        data=data,
        idempotency_key=key,
    )
    headers = {"Idempotent-Replayed": "true"} if done.replayed else {}
    return web.Response(
        status=201, body=done.body, content_type="application/json", headers=headers
    )


@routes.get(
    "/assignments/{assignment_id}/submissions/me",
    summary="My attempts at an assignment, oldest first",
    response=SubmissionHistory,
    errors=(403, 404),
)
async def my_submissions(request: web.Request) -> web.Response:
    user = await require_user(request)
    history = await submission_reads.my_submissions(
        pool=request.app[PG_POOL], actor_id=user.user_id, assignment_id=assignment_id(request)
    )
    return json_response(history)


@routes.get(
    "/assignments/{assignment_id}/submissions",
    summary="Submissions to an assignment (staff)",
    query=SubmissionQuery,
    response=SubmissionPage,
    errors=(403, 404, 422),
)
async def list_submissions(request: web.Request) -> web.Response:
    user = await require_user(request)
    ident = assignment_id(request)
    query = read_query(request, SubmissionQuery)
    page = await submission_reads.list_submissions(
        pool=request.app[PG_POOL], actor_id=user.user_id, assignment_id=ident, query=query
    )
    return json_response(page)


@routes.get(
    "/submissions/{submission_id}",
    summary="A submission (its student, or the course's staff with grading details)",
    response=SubmissionRead,
    errors=(404,),
)
async def get_submission(request: web.Request) -> web.Response:
    user = await require_user(request)
    found = await submission_reads.get_submission(
        pool=request.app[PG_POOL], actor_id=user.user_id, submission_id=submission_id(request)
    )
    return json_response(found)


@routes.put(
    "/submissions/{submission_id}/grade",
    summary="Save a draft grade (seen by staff only until published)",
    body=GradeUpdate,
    response=StaffSubmissionRead,
    errors=(403, 404, 422),
)
async def grade(request: web.Request) -> web.Response:
    user = await require_user(request)
    ident = submission_id(request)
    data = await read_json(request, GradeUpdate)
    graded = await grading.save_draft_grade(
        **mutation_deps(request, user), submission_id=ident, grade=data
    )
    return json_response(graded)


@routes.post(
    "/submissions/{submission_id}/publish-grade",
    summary="Publish a submission's grade to its student",
    response=StaffSubmissionRead,
    errors=(403, 404, 422),
)
async def publish_grade(request: web.Request) -> web.Response:
    user = await require_user(request)
    published = await grading.publish_grade(
        **mutation_deps(request, user), submission_id=submission_id(request)
    )
    return json_response(published)


@routes.post(
    "/assignments/{assignment_id}/publish-grades",
    summary="Publish every draft grade of an assignment",
    response=PublishGradesResult,
    errors=(403, 404),
)
async def publish_grades(request: web.Request) -> web.Response:
    user = await require_user(request)
    result = await grading.publish_grades(
        **mutation_deps(request, user), assignment_id=assignment_id(request)
    )
    return json_response(result)


@routes.get(
    "/courses/{course_id}/stats",
    summary="A course's progress (staff); ?format=csv|xlsx exports the table",
    query=StatsQuery,
    response=CourseStats,
    raw_response=("text/csv", assignment_stats.XLSX),
    errors=(403, 404, 422),
)
async def course_stats(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    query = read_query(request, StatsQuery)
    if query.format != "json":  # the export's tables, trend columns included
        export = await stats_reports.course_export(
            **use_case_deps(request),
            mongo=request.app[MONGO_DB],
            actor_id=user.user_id,
            course_id=course_id,
            query=ExportQuery(
                format=query.format, table=query.table, from_=query.from_, to=query.to
            ),
        )
        return attachment(export)
    stats = await assignment_stats.course_stats(
        **use_case_deps(request), actor_id=user.user_id, course_id=course_id, query=query
    )
    return json_response(stats)


@routes.get("/users/me/stats", summary="My averages and trend per course", response=MyStats)
async def my_stats(request: web.Request) -> web.Response:
    user = await require_user(request)
    return json_response(
        await assignment_stats.my_stats(**use_case_deps(request), actor_id=user.user_id)
    )
