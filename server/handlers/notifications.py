"""/api/v1/notifications (the caller's inbox) and /api/v1/users/me/notification-preferences."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.domain.notifications import (
    NotificationPage,
    NotificationQuery,
    NotificationRead,
    PreferencesBody,
    PreferencesRead,
    ReadAllBody,
    UnreadCount,
)
from server.handlers.auth_context import mutation_deps, require_user
from server.handlers.io import json_response, path_uuid, read_json, read_query
from server.handlers.routing import RouteTable
from server.keys import MONGO_DB
from server.services import notifications

routes = RouteTable(tag="notifications", prefix="/api/v1")


def _db(request: web.Request) -> dict[str, Any]:
    return {"db": request.app[MONGO_DB]}


def _notification_id(request: web.Request):
    return path_uuid(request, "notification_id", not_found_code="notification_not_found")


@routes.get(
    "/notifications",
    summary="My notifications, newest first",
    query=NotificationQuery,
    response=NotificationPage,
    errors=(422,),
)
async def list_notifications(request: web.Request) -> web.Response:
    user = await require_user(request)
    query = read_query(request, NotificationQuery)
    page = await notifications.list_notifications(**_db(request), user_id=user.user_id, query=query)
    return json_response(page)


@routes.get("/notifications/unread-count", summary="How many are unread", response=UnreadCount)
async def unread_count(request: web.Request) -> web.Response:
    user = await require_user(request)
    return json_response(await notifications.unread_count(**_db(request), user_id=user.user_id))


@routes.post(
    "/notifications/{notification_id}/read",
    summary="Mark one notification read",
    response=NotificationRead,
    errors=(404,),
)
async def mark_read(request: web.Request) -> web.Response:
    user = await require_user(request)
    item = await notifications.mark_read(
        **mutation_deps(request, user), **_db(request), notification_id=_notification_id(request)
    )
    return json_response(item)


@routes.post(
    "/notifications/read-all",
    summary="Mark every notification read (optionally one course's); the body is optional",
    body=ReadAllBody,
    response=UnreadCount,
    errors=(422,),
)
async def mark_all_read(request: web.Request) -> web.Response:
    user = await require_user(request)
    body = await read_json(request, ReadAllBody) if request.body_exists else ReadAllBody()
    result = await notifications.mark_all_read(
        **mutation_deps(request, user), **_db(request), course_id=body.course_id
    )
    return json_response(result)


@routes.delete(
    "/notifications/{notification_id}",
    summary="Archive a notification",
    status=204,
    errors=(404,),
)
async def archive(request: web.Request) -> web.Response:
    user = await require_user(request)
    await notifications.archive(
        **mutation_deps(request, user), **_db(request), notification_id=_notification_id(request)
    )
    return web.Response(status=204)


@routes.get(
    "/users/me/notification-preferences",
    summary="My notification preferences (every type and channel, defaults included)",
    response=PreferencesRead,
)
async def get_preferences(request: web.Request) -> web.Response:
    user = await require_user(request)
    return json_response(await notifications.get_preferences(**_db(request), user_id=user.user_id))


@routes.put(
    "/users/me/notification-preferences",
    summary="Replace my notification preferences (what is left out takes its default)",
    body=PreferencesBody,
    response=PreferencesRead,
    errors=(422,),
)
async def put_preferences(request: web.Request) -> web.Response:
    user = await require_user(request)
    body = await read_json(request, PreferencesBody)
    result = await notifications.put_preferences(
        **mutation_deps(request, user), **_db(request), body=body
    )
    return json_response(result)
