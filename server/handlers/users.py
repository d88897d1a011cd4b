"""/api/v1/users: my profile and photo, public profiles, search, push devices."""

from __future__ import annotations

from aiohttp import web

from server.domain.accounts import PHOTO_MAX_BYTES, PHOTO_TYPES
from server.domain.auth import PasswordChange, Session
from server.domain.users import (
    DeviceCreate,
    DeviceRead,
    PublicUser,
    UserPage,
    UserRead,
    UserSearch,
    UserUpdate,
)
from server.handlers.accounts_common import accounts_env
from server.handlers.auth_context import request_context, require_user
from server.handlers.io import json_response, path_uuid, read_capped, read_json, read_query
from server.handlers.routing import RouteTable
from server.services import profiles, recovery

routes = RouteTable(tag="users", prefix="/api/v1/users")


@routes.get("/me", summary="My profile (public and private fields)", response=UserRead)
async def get_me(request: web.Request) -> web.Response:
    principal = await require_user(request)
    return json_response(await profiles.me(accounts_env(request), user_id=principal.user_id))


@routes.patch(
    "/me",
    summary="Edit my profile; a new email is kept pending until its PIN is verified",
    body=UserUpdate,
    response=UserRead,
    errors=(409, 422),
)
async def patch_me(request: web.Request) -> web.Response:
    principal = await require_user(request)
    changes = await read_json(request, UserUpdate)
    user = await profiles.update_me(
        accounts_env(request), context=request_context(request, principal), changes=changes
    )
    return json_response(user)


@routes.post(
    "/me/password",
    summary="Change my password (the current one is checked like a login); every session "
    "ends and a new one is returned for this device",
    body=PasswordChange,
    response=Session,
    errors=(403, 422, 429),
)
async def change_password(request: web.Request) -> web.Response:
    principal = await require_user(request)
    data = await read_json(request, PasswordChange)
    session = await recovery.change_password(
        accounts_env(request),
        context=request_context(request, principal),
        current_password=data.current_password,
        new_password=data.new_password,
    )
    return json_response(session)


@routes.put(
    "/me/photo",
    summary="Upload my profile picture (the body is the image, at most 10 MB)",
    raw_body={mime: "JPEG, PNG or WebP, recognised by its bytes" for mime in PHOTO_TYPES},
    response=UserRead,
    errors=(413, 422),
    max_body=PHOTO_MAX_BYTES,
)
async def put_photo(request: web.Request) -> web.Response:
    principal = await require_user(request)
    data = await read_capped(request, PHOTO_MAX_BYTES)
    user = await profiles.set_photo(
        accounts_env(request), context=request_context(request, principal), data=data
    )
    return json_response(user)


@routes.delete("/me/photo", summary="Remove my profile picture", response=UserRead)
async def delete_photo(request: web.Request) -> web.Response:
    principal = await require_user(request)
    user = await profiles.delete_photo(
        accounts_env(request), context=request_context(request, principal)
    )
    return json_response(user)


@routes.post(
    "/me/devices",
    summary="Register a push-notification token for this device",
    body=DeviceCreate,
    response=DeviceRead,
    status=201,
    errors=(422,),
)
async def add_device(request: web.Request) -> web.Response:
    principal = await require_user(request)
    device = await read_json(request, DeviceCreate)
    saved = await profiles.add_device(
        accounts_env(request), context=request_context(request, principal), device=device
    )
    return json_response(saved, status=201)


@routes.delete(
    "/me/devices/{token}", summary="Forget a push-notification token", status=204, errors=(404,)
)
async def remove_device(request: web.Request) -> web.Response:
    principal = await require_user(request)
    await profiles.remove_device(
        accounts_env(request),
        context=request_context(request, principal),
        token=request.match_info["token"],
    )
    return web.Response(status=204)


@routes.get(
    "",
    summary="Find people by name prefix (public fields only; never by email)",
    query=UserSearch,
    response=UserPage,
    errors=(422,),
)
async def search_users(request: web.Request) -> web.Response:
    await require_user(request)
    query = read_query(request, UserSearch)
    return json_response(await profiles.search(accounts_env(request), query=query))


@routes.get(
    "/{user_id}",
    summary="Someone's public profile",
    response=PublicUser,
    errors=(404,),
)
async def get_user(request: web.Request) -> web.Response:
    await require_user(request)
    user_id = path_uuid(request, "user_id", not_found_code="profile_not_available")
    return json_response(await profiles.public_profile(accounts_env(request), user_id=user_id))
