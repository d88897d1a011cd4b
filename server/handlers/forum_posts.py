"""HTTP views for answers and what readers do to posts: votes, endorsements, following, the
edit history. A thread's question is voted, endorsed and versioned under /forum/threads/{id}."""

from __future__ import annotations

import uuid

from aiohttp import web

from server.domain.forum import (
    AnswerCreate,
    AnswerRead,
    AnswerUpdate,
    DeleteQuery,
    HistoryRead,
    VoteBody,
    VoteRead,
)
from server.handlers.auth_context import mutation_deps, require_user
from server.handlers.forum import posting_limit, thread_id
from server.handlers.io import json_response, path_uuid, read_json, read_query, use_case_deps
from server.handlers.routing import RouteTable
from server.services import forum_actions, forum_answers

routes = RouteTable(tag="forum", prefix="/api/v1")


def answer_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "answer_id", not_found_code="answer_not_found")


def _no_content() -> web.Response:
    return web.Response(status=204)


@routes.post(
    "/forum/threads/{thread_id}/answers",
    summary="Answer a thread (not a locked one)",
    body=AnswerCreate,
    response=AnswerRead,
    status=201,
    errors=(403, 404, 409, 422, 429),
)
async def create_answer(request: web.Request) -> web.Response:
    user = await require_user(request)
    tid = thread_id(request)
    data = await read_json(request, AnswerCreate)
    answer = await forum_answers.create_answer(
        **mutation_deps(request, user), thread_id=tid, data=data, limit=posting_limit(request)
    )
    return json_response(answer, status=201)


@routes.patch(
    "/forum/answers/{answer_id}",
    summary="Edit an answer (the author or staff); the earlier version is kept",
    body=AnswerUpdate,
    response=AnswerRead,
    errors=(403, 404, 409, 422),
)
async def update_answer(request: web.Request) -> web.Response:
    user = await require_user(request)
    aid = answer_id(request)
    data = await read_json(request, AnswerUpdate)
    answer = await forum_answers.update_answer(
        **mutation_deps(request, user), answer_id=aid, data=data
    )
    return json_response(answer)


@routes.delete(
    "/forum/answers/{answer_id}",
    summary="Delete an answer to a tombstone (the author, or staff with a reason)",
    query=DeleteQuery,
    status=204,
    errors=(403, 404, 409, 422),
)
async def delete_answer(request: web.Request) -> web.Response:
    user = await require_user(request)
    aid = answer_id(request)
    query = read_query(request, DeleteQuery)
    await forum_answers.delete_answer(
        **mutation_deps(request, user), answer_id=aid, reason=query.reason
    )
    return _no_content()


@routes.post(
    "/forum/answers/{answer_id}/accept",
    summary="Accept an answer (the thread's author or staff); accepting another moves it",
    response=AnswerRead,
    errors=(403, 404, 409),
)
async def accept_answer(request: web.Request) -> web.Response:
    user = await require_user(request)
    aid = answer_id(request)
    answer = await forum_answers.accept_answer(**mutation_deps(request, user), answer_id=aid)
    return json_response(answer)


async def _vote(request: web.Request, post_id: uuid.UUID, kind: str) -> web.Response:
    user = await require_user(request)
    data = await read_json(request, VoteBody)
    result = await forum_actions.vote(
        **mutation_deps(request, user), post_id=post_id, kind=kind, value=data.value
    )
    return json_response(result)


_VOTE = {
    "body": VoteBody,
    "response": VoteRead,
    "errors": (403, 404, 409, 422),
}


@routes.put("/forum/threads/{thread_id}/vote", summary="Vote on a question", **_VOTE)
async def vote_thread(request: web.Request) -> web.Response:
    return await _vote(request, thread_id(request), "question")


@routes.put("/forum/answers/{answer_id}/vote", summary="Vote on an answer", **_VOTE)
async def vote_answer(request: web.Request) -> web.Response:
    return await _vote(request, answer_id(request), "answer")


async def _endorse(request: web.Request, post_id: uuid.UUID, kind: str, on: bool) -> web.Response:
    user = await require_user(request)
    await forum_actions.endorse(**mutation_deps(request, user), post_id=post_id, kind=kind, on=on)
    return _no_content()


_ENDORSE = {"status": 204, "errors": (403, 404, 409)}


@routes.post("/forum/threads/{thread_id}/endorse", summary="Endorse a question (staff)", **_ENDORSE)
async def endorse_thread(request: web.Request) -> web.Response:
    return await _endorse(request, thread_id(request), "question", True)


@routes.delete(
    "/forum/threads/{thread_id}/endorse", summary="Withdraw an endorsement (staff)", **_ENDORSE
)
async def unendorse_thread(request: web.Request) -> web.Response:
    return await _endorse(request, thread_id(request), "question", False)


@routes.post("/forum/answers/{answer_id}/endorse", summary="Endorse an answer (staff)", **_ENDORSE)
async def endorse_answer(request: web.Request) -> web.Response:
    return await _endorse(request, answer_id(request), "answer", True)


@routes.delete(
    "/forum/answers/{answer_id}/endorse", summary="Withdraw an endorsement (staff)", **_ENDORSE
)
async def unendorse_answer(request: web.Request) -> web.Response:
    return await _endorse(request, answer_id(request), "answer", False)


async def _follow(request: web.Request, on: bool) -> web.Response:
    user = await require_user(request)
    tid = thread_id(request)
    await forum_actions.set_following(**mutation_deps(request, user), thread_id=tid, on=on)
    return _no_content()


@routes.put(
    "/forum/threads/{thread_id}/follow",
    summary="Follow a thread (its new answers notify you)",
    status=204,
    errors=(403, 404),
)
async def follow(request: web.Request) -> web.Response:
    return await _follow(request, True)


@routes.delete(
    "/forum/threads/{thread_id}/follow", summary="Stop following", status=204, errors=(403, 404)
)
async def unfollow(request: web.Request) -> web.Response:
    return await _follow(request, False)


async def _history(request: web.Request, post_id: uuid.UUID, kind: str) -> web.Response:
    user = await require_user(request)
    result = await forum_actions.history(
        **use_case_deps(request), actor_id=user.user_id, post_id=post_id, kind=kind
    )
    return json_response(result)


@routes.get(
    "/forum/threads/{thread_id}/history",
    summary="A question's versions, newest first",
    response=HistoryRead,
    errors=(403, 404),
)
async def thread_history(request: web.Request) -> web.Response:
    return await _history(request, thread_id(request), "question")


@routes.get(
    "/forum/answers/{answer_id}/history",
    summary="An answer's versions, newest first",
    response=HistoryRead,
    errors=(403, 404),
)
async def answer_history(request: web.Request) -> web.Response:
    return await _history(request, answer_id(request), "answer")
