"""HTTP views for forum threads: ask, list and search, read, edit, delete."""

from __future__ import annotations

import uuid
from datetime import timedelta

from aiohttp import web

from server.domain.forum import (
    DeleteQuery,
    ThreadCreate,
    ThreadPage,
    ThreadQuery,
    ThreadRead,
    ThreadUpdate,
)
from server.domain.forum_access import PostingLimit
from server.handlers.auth_context import mutation_deps, require_user
from server.handlers.io import json_response, path_uuid, read_json, read_query, use_case_deps
from server.handlers.routing import RouteTable
from server.keys import SETTINGS
from server.services import forum_threads

routes = RouteTable(tag="forum", prefix="/api/v1")


def thread_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "thread_id", not_found_code="thread_not_found")


def posting_limit(request: web.Request) -> PostingLimit:
    settings = request.app[SETTINGS]
    return PostingLimit(
        posts=settings.forum_post_limit,
        window=timedelta(seconds=settings.forum_post_window_seconds),
    )


@routes.post(
    "/courses/{course_id}/forum/threads",
    summary="Ask a question in a course's forum",
    body=ThreadCreate,
    response=ThreadRead,
    status=201,
    errors=(403, 404, 409, 422, 429),
)
async def create_thread(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    data = await read_json(request, ThreadCreate)
    thread = await forum_threads.create_thread(
        **mutation_deps(request, user),
        course_id=course_id,
        data=data,
        limit=posting_limit(request),
    )
    return json_response(thread, status=201)


@routes.get(
    "/courses/{course_id}/forum/threads",
    summary="A course's threads: filter, search (Spanish and English, accents ignored), sort",
    query=ThreadQuery,
    response=ThreadPage,
    errors=(403, 404, 422),
)
async def list_threads(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    query = read_query(request, ThreadQuery)
    page = await forum_threads.list_threads(
        **use_case_deps(request), actor_id=user.user_id, course_id=course_id, query=query
    )
    return json_response(page)


@routes.get(
    "/forum/threads/{thread_id}",
    summary="A thread with its answers, votes and the caller's own votes",
    response=ThreadRead,
    errors=(403, 404),
)
async def get_thread(request: web.Request) -> web.Response:
    user = await require_user(request)
    thread = await forum_threads.get_thread(
        **use_case_deps(request), actor_id=user.user_id, thread_id=thread_id(request)
    )
    return json_response(thread)


@routes.patch(
    "/forum/threads/{thread_id}",
    summary="Edit a thread (the author or staff); pin or lock it (staff)",
    body=ThreadUpdate,
    response=ThreadRead,
    errors=(403, 404, 409, 422),
)
async def update_thread(request: web.Request) -> web.Response:
    user = await require_user(request)
    tid = thread_id(request)
    data = await read_json(request, ThreadUpdate)
    thread = await forum_threads.update_thread(
        **mutation_deps(request, user), thread_id=tid, data=data
    )
    return json_response(thread)


@routes.delete(
    "/forum/threads/{thread_id}",
    summary="Delete a thread to a tombstone (the author, or staff with a reason)",
    query=DeleteQuery,
    status=204,
    errors=(403, 404, 409, 422),
)
async def delete_thread(request: web.Request) -> web.Response:
    user = await require_user(request)
    tid = thread_id(request)
    query = read_query(request, DeleteQuery)
    await forum_threads.delete_thread(
        **mutation_deps(request, user), thread_id=tid, reason=query.reason
    )
    return web.Response(status=204)
