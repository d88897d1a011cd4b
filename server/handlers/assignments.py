"""HTTP views for assignments: drafts, publishing, listings, "my activities", exam attempts."""

from __future__ import annotations

import uuid

from aiohttp import web

from server.domain.assignments import (
    AssignmentCreate,
    AssignmentPage,
    AssignmentQuery,
    AssignmentRead,
    AssignmentUpdate,
)
from server.domain.submission_views import AttemptRead
from server.handlers.auth_context import mutation_deps, require_user
from server.handlers.io import json_response, path_uuid, read_json, read_query, use_case_deps
from server.handlers.routing import RouteTable
from server.services import assignment_listings, assignments, submissions

routes = RouteTable(tag="assignments", prefix="/api/v1")


def assignment_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "assignment_id", not_found_code="assignment_not_found")


@routes.post(
    "/courses/{course_id}/assignments",
    summary="Create an assignment (a draft until published)",
    body=AssignmentCreate,
    response=AssignmentRead,
    status=201,
    errors=(403, 404, 409, 422),
)
async def create_assignment(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    data = await read_json(request, AssignmentCreate)
    created = await assignments.create_assignment(
        **mutation_deps(request, user), course_id=course_id, data=data
    )
    return json_response(created, status=201)


@routes.get(
    "/courses/{course_id}/assignments",
    summary="A course's assignments: all with counts for staff, published with my_status for "
    "students",
    query=AssignmentQuery,
    response=AssignmentPage,
    errors=(403, 404, 422),
)
async def list_assignments(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    query = read_query(request, AssignmentQuery)
    page = await assignment_listings.list_course_assignments(
        **use_case_deps(request), actor_id=user.user_id, course_id=course_id, query=query
    )
    return json_response(page)


@routes.get(
    "/users/me/activities",
    summary="My assignments across every course I study in",
    query=AssignmentQuery,
    response=AssignmentPage,
    errors=(422,),
)
async def my_activities(request: web.Request) -> web.Response:
    user = await require_user(request)
    query = read_query(request, AssignmentQuery)
    return json_response(
        await assignment_listings.my_activities(
            **use_case_deps(request), actor_id=user.user_id, query=query
        )
    )


@routes.get(
    "/assignments/{assignment_id}",
    summary="An assignment (students never see correct answers)",
    response=AssignmentRead,
    errors=(403, 404),
)
async def get_assignment(request: web.Request) -> web.Response:
    user = await require_user(request)
    found = await assignments.get_assignment(
        **use_case_deps(request), actor_id=user.user_id, assignment_id=assignment_id(request)
    )
    return json_response(found)


@routes.patch(
    "/assignments/{assignment_id}",
    summary="Change an assignment; a new due_at is announced and reschedules reminders",
    body=AssignmentUpdate,
    response=AssignmentRead,
    errors=(403, 404, 409, 422),
)
async def update_assignment(request: web.Request) -> web.Response:
    user = await require_user(request)
    ident = assignment_id(request)
    changes = await read_json(request, AssignmentUpdate)
    updated = await assignments.update_assignment(
        **mutation_deps(request, user), assignment_id=ident, changes=changes
    )
    return json_response(updated)


@routes.delete(
    "/assignments/{assignment_id}", summary="Delete an assignment", status=204, errors=(403, 404)
)
async def delete_assignment(request: web.Request) -> web.Response:
    user = await require_user(request)
    await assignments.delete_assignment(
        **mutation_deps(request, user), assignment_id=assignment_id(request)
    )
    return web.Response(status=204)


@routes.post(
    "/assignments/{assignment_id}/publish",
    summary="Publish an assignment to the course's students",
    response=AssignmentRead,
    errors=(403, 404, 409),
)
async def publish_assignment(request: web.Request) -> web.Response:
    user = await require_user(request)
    published = await assignments.publish_assignment(
        **mutation_deps(request, user), assignment_id=assignment_id(request)
    )
    return json_response(published)


@routes.post(
    "/assignments/{assignment_id}/attempts",
    summary="Start a timed exam attempt (or get the one running); returns its deadline",
    response=AttemptRead,
    status=201,
    also=(200,),
    errors=(403, 404, 409, 422),
)
async def start_attempt(request: web.Request) -> web.Response:
    user = await require_user(request)
    attempt, created = await submissions.start_attempt(
        **mutation_deps(request, user), assignment_id=assignment_id(request)
    )
    return json_response(attempt, status=201 if created else 200)
