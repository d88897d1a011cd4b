"""/api/v1/auth: sign-up, email PIN, login, refresh, logout, Google, password recovery."""

from __future__ import annotations

from aiohttp import web

from server.domain.auth import (
    Accepted,
    Done,
    EmailOnly,
    GoogleLink,
    GoogleSignIn,
    Login,
    PasswordReset,
    Refresh,
    Session,
    VerifyEmail,
)
from server.domain.users import UserCreate, UserRead
from server.handlers.accounts_common import accounts_env
from server.handlers.auth_context import anonymous_request_context
from server.handlers.io import json_response, read_json
from server.handlers.routing import RouteTable
from server.keys import GOOGLE_VERIFIER
from server.services import google_signin, recovery, registration, sessions

routes = RouteTable(tag="auth", prefix="/api/v1/auth")


@routes.post(
    "/register",
    summary="Create an account; a 6-digit PIN is emailed to prove the address (the answer is "
    "the same when the address already has an account: its owner is emailed instead)",
    body=UserCreate,
    response=Accepted,
    status=202,
    auth=False,
    errors=(422, 429),
)
async def register(request: web.Request) -> web.Response:
    data = await read_json(request, UserCreate)
    await registration.register(
        accounts_env(request), context=anonymous_request_context(request), data=data
    )
    return json_response(
        Accepted(message="Check your inbox: we sent an email to this address."), status=202
    )


@routes.post(
    "/verify-email",
    summary="Prove an email address with its PIN (sign-up or email change)",
    body=VerifyEmail,
    response=UserRead,
    auth=False,
    errors=(409, 422),
)
async def verify_email(request: web.Request) -> web.Response:
    data = await read_json(request, VerifyEmail)
    user = await registration.verify_email(
        accounts_env(request),
        context=anonymous_request_context(request),
        email=data.email,
        pin=data.pin,
    )
    return json_response(user)


@routes.post(
    "/verify-email/resend",
    summary="Send a new PIN (at most once a minute); the old one stops working",
    body=EmailOnly,
    response=Accepted,
    status=202,
    auth=False,
    errors=(422, 429),
)
async def resend_pin(request: web.Request) -> web.Response:
    data = await read_json(request, EmailOnly)
    await registration.resend_pin(
        accounts_env(request), context=anonymous_request_context(request), email=data.email
    )
    return json_response(
        Accepted(message="If this address is waiting for a PIN, a new one is on its way."),
        status=202,
    )


@routes.post(
    "/login",
    summary="Log in with email and password",
    body=Login,
    response=Session,
    auth=False,
    errors=(401, 403, 422, 429),
)
async def login(request: web.Request) -> web.Response:
    data = await read_json(request, Login)
    session = await sessions.login(
        accounts_env(request),
        context=anonymous_request_context(request),
        email=data.email,
        password=data.password,
    )
    return json_response(session)


@routes.post(
    "/refresh",
    summary="Rotate the token pair; reusing a spent refresh token ends the session",
    body=Refresh,
    response=Session,
    auth=False,
    errors=(401, 403, 422),
)
async def refresh(request: web.Request) -> web.Response:
    data = await read_json(request, Refresh)
    return json_response(
        await sessions.refresh(
            accounts_env(request),
            context=anonymous_request_context(request),
            refresh_token=data.refresh_token,
        )
    )


@routes.post(
    "/logout",
    summary="End the session (every refresh token of its family)",
    body=Refresh,
    status=204,
    auth=False,
    errors=(422,),
)
async def logout(request: web.Request) -> web.Response:
    data = await read_json(request, Refresh)
    await sessions.logout(
        accounts_env(request),
        context=anonymous_request_context(request),
        refresh_token=data.refresh_token,
    )
    return web.Response(status=204)


@routes.post(
    "/google",
    summary="Sign in with a Google ID token (new emails get an account)",
    body=GoogleSignIn,
    response=Session,
    auth=False,
    errors=(401, 403, 409, 422),
)
async def google(request: web.Request) -> web.Response:
    data = await read_json(request, GoogleSignIn)
    session = await google_signin.sign_in(
        accounts_env(request),
        context=anonymous_request_context(request),
        google=request.app[GOOGLE_VERIFIER],
        id_token=data.id_token,
    )
    return json_response(session)


@routes.post(
    "/google/link",
    summary="Link Google to the password account with the same email",
    body=GoogleLink,
    response=Session,
    auth=False,
    errors=(401, 403, 409, 422, 429),
)
async def google_link(request: web.Request) -> web.Response:
    data = await read_json(request, GoogleLink)
    session = await google_signin.link(
        accounts_env(request),
        context=anonymous_request_context(request),
        google=request.app[GOOGLE_VERIFIER],
        id_token=data.id_token,
        password=data.password,
    )
    return json_response(session)


@routes.post(
    "/password/forgot",
    summary="Email a single-use reset token (always 202)",
    body=EmailOnly,
    response=Accepted,
    status=202,
    auth=False,
    errors=(422, 429),
)
async def forgot_password(request: web.Request) -> web.Response:
    data = await read_json(request, EmailOnly)
    await recovery.forgot_password(
        accounts_env(request), context=anonymous_request_context(request), email=data.email
    )
    return json_response(
        Accepted(message="If an account uses this address, a reset link is on its way."),
        status=202,
    )


@routes.post(
    "/password/reset",
    summary="Set a new password with a reset token; every session is ended",
    body=PasswordReset,
    response=Done,
    auth=False,
    errors=(422,),
)
async def reset_password(request: web.Request) -> web.Response:
    data = await read_json(request, PasswordReset)
    await recovery.reset_password(
        accounts_env(request),
        context=anonymous_request_context(request),
        token=data.token,
        new_password=data.new_password,
    )
    return json_response(Done(message="Password changed; log in again on every device."))
