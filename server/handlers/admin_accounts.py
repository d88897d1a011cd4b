"""/api/v1/admin/auth (login, refresh, logout) and /api/v1/admin/admins."""

from __future__ import annotations

from aiohttp import web

from server.domain.admin import AdminCreate, AdminList, AdminLogin, AdminRead, AdminSession
from server.domain.auth import Refresh
from server.handlers.admin_context import admin_deps, admin_env, require_admin
from server.handlers.auth_context import anonymous_request_context
from server.handlers.io import json_response, path_uuid, read_json
from server.handlers.routing import RouteTable
from server.keys import MONGO_DB, PASSWORDS
from server.services import admin_accounts, admin_auth

routes = RouteTable(tag="admin", prefix="/api/v1/admin")


@routes.post(
    "/auth/login",
    summary="Admin login (5 failures in 15 minutes lock the account for 15 minutes)",
    body=AdminLogin,
    response=AdminSession,
    auth=False,
    errors=(401, 429),
)
async def login(request: web.Request) -> web.Response:
    data = await read_json(request, AdminLogin)
    session = await admin_auth.login(
        admin_env(request),
        email=data.email,
        password=data.password,
        context=anonymous_request_context(request),
    )
    return json_response(session)


@routes.post(
    "/auth/refresh",
    summary="Rotate the admin token pair; reusing a spent refresh token ends the session",
    body=Refresh,
    response=AdminSession,
    auth=False,
    errors=(401,),
)
async def refresh(request: web.Request) -> web.Response:
    data = await read_json(request, Refresh)
    session = await admin_auth.refresh(
        admin_env(request),
        refresh_token=data.refresh_token,
        context=anonymous_request_context(request),
    )
    return json_response(session)


@routes.post("/auth/logout", summary="End the admin session", body=Refresh, status=204, auth=False)
async def logout(request: web.Request) -> web.Response:
    data = await read_json(request, Refresh)
    await admin_auth.logout(
        admin_env(request),
        refresh_token=data.refresh_token,
        context=anonymous_request_context(request),
    )
    return web.Response(status=204)


@routes.post(
    "/admins",
    summary="Create an admin account",
    body=AdminCreate,
    response=AdminRead,
    status=201,
    errors=(403, 409),
)
async def create_admin(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    data = await read_json(request, AdminCreate)
    created = await admin_accounts.create_admin(
        **admin_deps(request, admin), passwords=request.app[PASSWORDS], data=data
    )
    return json_response(created, status=201)


@routes.get("/admins", summary="Every admin account", response=AdminList, errors=(403,))
async def list_admins(request: web.Request) -> web.Response:
    await require_admin(request)
    return json_response(await admin_accounts.list_admins(db=request.app[MONGO_DB]))


@routes.delete(
    "/admins/{admin_id}",
    summary="Remove an admin (never yourself, never the last one); their sessions end",
    status=204,
    errors=(403, 404, 409),
)
async def remove_admin(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    admin_id = path_uuid(request, "admin_id", not_found_code="admin_not_found")
    await admin_accounts.remove_admin(**admin_deps(request, admin), admin_id=admin_id)
    return web.Response(status=204)
