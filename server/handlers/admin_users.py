"""/api/v1/admin/users: list, detail (audited), block, unblock, permissions."""

from __future__ import annotations

import uuid

from aiohttp import web

from server.domain.admin_users import (
    AdminUserDetail,
    AdminUserPage,
    AdminUserQuery,
    BlockRead,
    BlockRequest,
    Permissions,
    PermissionsUpdate,
)
from server.handlers.admin_context import admin_deps, require_admin
from server.handlers.io import json_response, path_uuid, read_json, read_query
from server.handlers.routing import RouteTable
from server.keys import PG_POOL, TOKEN_CACHE
from server.services import admin_users

routes = RouteTable(tag="admin", prefix="/api/v1/admin")


def _user_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "user_id", not_found_code="user_not_found")


def _token_state_changed(request: web.Request, user_id: uuid.UUID) -> None:
    """This process forgets the user's token state now (and ends their sockets here); the
    commit's NOTIFY tells every process, this one included, a few milliseconds later."""
    if (cache := request.app.get(TOKEN_CACHE)) is not None:
        cache.invalidate(user_id)


@routes.get(
    "/users",
    summary="Users by sign-up date, newest first (name, email, status, last login, courses)",
    query=AdminUserQuery,
    response=AdminUserPage,
    errors=(403,),
)
async def list_users(request: web.Request) -> web.Response:
    await require_admin(request)
    query = read_query(request, AdminUserQuery)
    return json_response(await admin_users.list_users(pool=request.app[PG_POOL], query=query))


@routes.get(
    "/users/{user_id}",
    summary="A user's profile, courses, recent deliveries and audit (the read is audited)",
    response=AdminUserDetail,
    errors=(403, 404),
)
async def user_detail(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    detail = await admin_users.user_detail(**admin_deps(request, admin), user_id=_user_id(request))
    return json_response(detail)


@routes.post(
    "/users/{user_id}/block",
    summary="Block a user at once (tokens and sockets end); with `until` it lifts itself",
    body=BlockRequest,
    response=BlockRead,
    errors=(403, 404, 409),
)
async def block_user(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    user_id = _user_id(request)
    data = await read_json(request, BlockRequest)
    block = await admin_users.block_user(
        **admin_deps(request, admin, mongo=False), user_id=user_id, data=data
    )
    _token_state_changed(request, user_id)
    return json_response(block)


@routes.post(
    "/users/{user_id}/unblock", summary="Lift a user's block", status=204, errors=(403, 404, 409)
)
async def unblock_user(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    user_id = _user_id(request)
    await admin_users.unblock_user(**admin_deps(request, admin, mongo=False), user_id=user_id)
    _token_state_changed(request, user_id)
    return web.Response(status=204)


@routes.patch(
    "/users/{user_id}/permissions",
    summary="Allow or withdraw course creation, enrollment, forum posts (effective at once)",
    body=PermissionsUpdate,
    response=Permissions,
    errors=(403, 404),
)
async def update_permissions(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    user_id = _user_id(request)
    data = await read_json(request, PermissionsUpdate)
    permissions = await admin_users.update_permissions(
        **admin_deps(request, admin, mongo=False), user_id=user_id, data=data
    )
    return json_response(permissions)
