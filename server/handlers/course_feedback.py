"""HTTP views for feedback: students about courses, staff about students."""

from __future__ import annotations

from aiohttp import web

from server.domain.course_feedback import (
    CourseFeedbackPage,
    CourseFeedbackQuery,
    CourseFeedbackRead,
    FeedbackBody,
    MyFeedbackQuery,
    StudentFeedbackPage,
    StudentFeedbackRead,
)
from server.handlers.auth_context import mutation_deps, require_user
from server.handlers.io import json_response, path_uuid, read_json, read_query
from server.handlers.routing import RouteTable
from server.keys import PG_POOL
from server.services import course_feedback as feedback

routes = RouteTable(tag="feedback", prefix="/api/v1")


@routes.post(
    "/courses/{course_id}/feedback",
    summary="Rate the course (an enrolled student; 201 first time, 200 when edited)",
    body=FeedbackBody,
    response=CourseFeedbackRead,
    status=201,
    also=(200,),
    errors=(403, 404, 409),
)
async def rate_course(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    data = await read_json(request, FeedbackBody)
    result, created = await feedback.rate_course(
        **mutation_deps(request, user),
        course_id=course_id,
        data=data,
    )
    return json_response(result, status=201 if created else 200)


@routes.get(
    "/courses/{course_id}/feedback",
    summary="Students' feedback, with average and distribution (staff)",
    query=CourseFeedbackQuery,
    response=CourseFeedbackPage,
    errors=(403, 404),
)
async def list_course_feedback(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    query = read_query(request, CourseFeedbackQuery)
    page = await feedback.list_course_feedback(
        pool=request.app[PG_POOL], actor_id=user.user_id, course_id=course_id, query=query
    )
    return json_response(page)


@routes.post(
    "/courses/{course_id}/students/{user_id}/feedback",
    summary="Give a student feedback (staff allowed to grade)",
    body=FeedbackBody,
    response=StudentFeedbackRead,
    status=201,
    errors=(403, 404, 409),
)
async def rate_student(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    student_id = path_uuid(request, "user_id", not_found_code="member_not_found")
    data = await read_json(request, FeedbackBody)
    result = await feedback.rate_student(
        **mutation_deps(request, user),
        course_id=course_id,
        student_id=student_id,
        data=data,
    )
    return json_response(result, status=201)


@routes.get(
    "/users/me/feedback",
    summary="Feedback I received from my courses' staff",
    query=MyFeedbackQuery,
    response=StudentFeedbackPage,
)
async def my_feedback(request: web.Request) -> web.Response:
    user = await require_user(request)
    query = read_query(request, MyFeedbackQuery)
    page = await feedback.my_feedback(pool=request.app[PG_POOL], actor_id=user.user_id, query=query)
    return json_response(page)
