"""HTTP views for courses, enrollment, members, assistants and favourites."""

from __future__ import annotations

from aiohttp import web

from server.domain.courses import (
    CatalogQuery,
    CourseCreate,
    CoursePage,
    CourseRead,
    CourseUpdate,
    MyCoursesQuery,
)
from server.domain.enrollment import (
    ActivityPage,
    ActivityQuery,
    AssistantRead,
    AssistantUpdate,
    EnrollmentRead,
    MembersRead,
    MemberStatusUpdate,
)
from server.handlers.auth_context import mutation_deps, require_user
from server.handlers.io import json_response, path_uuid, read_json, read_query, use_case_deps
from server.handlers.routing import RouteTable
from server.keys import PG_POOL
from server.services import course_listings, courses, enrollment

routes = RouteTable(tag="courses", prefix="/api/v1")


def _course_id(request: web.Request):
    return path_uuid(request, "course_id", not_found_code="course_not_found")


def _no_content() -> web.Response:
    return web.Response(status=204)


@routes.post(
    "/courses",
    summary="Create a course",
    body=CourseCreate,
    response=CourseRead,
    status=201,
    errors=(422,),
)
async def create_course(request: web.Request) -> web.Response:
    user = await require_user(request)
    data = await read_json(request, CourseCreate)
    course = await courses.create_course(**mutation_deps(request, user), data=data)
    return json_response(course, status=201)


@routes.get(
    "/courses", summary="The catalog of open courses", query=CatalogQuery, response=CoursePage
)
async def catalog(request: web.Request) -> web.Response:
    user = await require_user(request)
    query = read_query(request, CatalogQuery)
    return json_response(
        await course_listings.catalog(**use_case_deps(request), actor_id=user.user_id, query=query)
    )


@routes.get(
    "/courses/{course_id}", summary="A course in detail", response=CourseRead, errors=(404,)
)
async def get_course(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    return json_response(
        await courses.get_course(
            **use_case_deps(request), actor_id=user.user_id, course_id=course_id
        )
    )


@routes.patch(
    "/courses/{course_id}",
    summary="Change a course",
    body=CourseUpdate,
    response=CourseRead,
    errors=(403, 404, 409, 422),
)
async def update_course(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    data = await read_json(request, CourseUpdate)
    course = await courses.update_course(
        **mutation_deps(request, user), course_id=course_id, data=data
    )
    return json_response(course)


@routes.delete(
    "/courses/{course_id}",
    summary="Delete a course (logically)",
    status=204,
    errors=(403, 404, 409),
)
async def delete_course(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    await courses.delete_course(**mutation_deps(request, user), course_id=course_id)
    return _no_content()


@routes.get(
    "/users/me/courses",
    summary="My courses, teaching or learning",
    query=MyCoursesQuery,
    response=CoursePage,
)
async def my_courses(request: web.Request) -> web.Response:
    user = await require_user(request)
    query = read_query(request, MyCoursesQuery)
    return json_response(
        await course_listings.my_courses(
            **use_case_deps(request), actor_id=user.user_id, query=query
        )
    )


@routes.put(
    "/courses/{course_id}/favorite",
    summary="Mark a course as a favourite",
    status=204,
    errors=(404,),
)
async def add_favorite(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    await courses.set_favorite(**mutation_deps(request, user), course_id=course_id, on=True)
    return _no_content()


@routes.delete(
    "/courses/{course_id}/favorite", summary="Unmark a favourite", status=204, errors=(404,)
)
async def remove_favorite(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    await courses.set_favorite(**mutation_deps(request, user), course_id=course_id, on=False)
    return _no_content()


@routes.get(
    "/users/me/favorites", summary="My favourite courses", query=CatalogQuery, response=CoursePage
)
async def favorites(request: web.Request) -> web.Response:
    user = await require_user(request)
    query = read_query(request, CatalogQuery)
    page = await course_listings.catalog(
        **use_case_deps(request), actor_id=user.user_id, query=query, favorites_only=True
    )
    return json_response(page)


@routes.post(
    "/courses/{course_id}/enrollments",
    summary="Enroll in a course",
    response=EnrollmentRead,
    status=201,
    errors=(403, 404, 409, 422),
)
async def enroll(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    result = await enrollment.enroll(**mutation_deps(request, user), course_id=course_id)
    return json_response(result, status=201)


@routes.delete(
    "/courses/{course_id}/enrollments/me", summary="Leave a course", status=204, errors=(404, 409)
)
async def leave(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    await enrollment.leave(**mutation_deps(request, user), course_id=course_id)
    return _no_content()


@routes.get(
    "/courses/{course_id}/members",
    summary="Members (students see the staff and a count)",
    response=MembersRead,
    errors=(403, 404),
)
async def members(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    return json_response(
        await enrollment.members(
            **use_case_deps(request), actor_id=user.user_id, course_id=course_id
        )
    )


@routes.patch(
    "/courses/{course_id}/members/{user_id}",
    summary="Approve, fail or remove a student",
    body=MemberStatusUpdate,
    status=204,
    errors=(403, 404, 409),
)
async def set_member_status(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    target = path_uuid(request, "user_id", not_found_code="member_not_found")
    data = await read_json(request, MemberStatusUpdate)
    await enrollment.set_member_status(
        **mutation_deps(request, user),
        course_id=course_id,
        user_id=target,
        status=data.status,
    )
    return _no_content()


@routes.put(
    "/courses/{course_id}/assistants/{user_id}",
    summary="Make a user an assistant, with permissions",
    body=AssistantUpdate,
    response=AssistantRead,
    errors=(403, 404, 409, 422),
)
async def assign_assistant(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    target = path_uuid(request, "user_id", not_found_code="user_not_found")
    data = await read_json(request, AssistantUpdate)
    result = await enrollment.assign_assistant(
        **mutation_deps(request, user),
        course_id=course_id,
        user_id=target,
        data=data,
    )
    return json_response(result)


@routes.delete(
    "/courses/{course_id}/assistants/{user_id}",
    summary="Revoke an assistant",
    status=204,
    errors=(403, 404, 409),
)
async def revoke_assistant(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    target = path_uuid(request, "user_id", not_found_code="member_not_found")
    await enrollment.revoke_assistant(
        **mutation_deps(request, user), course_id=course_id, user_id=target
    )
    return _no_content()


@routes.get(
    "/courses/{course_id}/activity",
    summary="What the assistants did (owner only)",
    query=ActivityQuery,
    response=ActivityPage,
    errors=(403, 404),
)
async def activity(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    query = read_query(request, ActivityQuery)
    page = await enrollment.activity(
        pool=request.app[PG_POOL], actor_id=user.user_id, course_id=course_id, query=query
    )
    return json_response(page)
