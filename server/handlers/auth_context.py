"""The caller of a request, from its `Authorization: Bearer <token>` header."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.domain.context import RequestContext, anonymous_context, user_context
from server.domain.errors import Unauthenticated
from server.handlers.accounts_common import client_address
from server.handlers.request_log import REQUEST_ID
from server.keys import CLOCK, JWT_SECRET, PG_POOL, TOKEN_CACHE
from server.services.identity import Principal, authenticate

PRINCIPAL = web.RequestKey("principal", Principal)


def bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def require_user(request: web.Request) -> Principal:
    """The authenticated caller; raises 401 (`unauthenticated`, `token_*`) otherwise."""
    if (cached := request.get(PRINCIPAL)) is not None:
        return cached
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated("Send an access token: Authorization: Bearer <token>.")
    app = request.app
    principal = await authenticate(
        pool=app[PG_POOL],
        secret=app[JWT_SECRET],
        clock=app[CLOCK],
        token=token,
        cache=app.get(TOKEN_CACHE),  # absent only while the app is starting
    )
    request[PRINCIPAL] = principal
    return principal


async def optional_user(request: web.Request) -> Principal | None:
    """The caller when a token is sent (and valid); None for anonymous requests."""
    if bearer_token(request) is None:
        return None
    return await require_user(request)


def request_context(request: web.Request, principal: Principal | None = None) -> RequestContext:
    """Who is acting and from where, for the unit of work (actor, client address, request id)."""
    principal = principal or request[PRINCIPAL]
    return user_context(
        principal.user_id, ip=client_address(request), request_id=request.get(REQUEST_ID)
    )


def anonymous_request_context(request: web.Request) -> RequestContext:
    """For the mutations a caller makes before signing in (sign-up, login, recovery): the
    client's address and request id; the use case names the user once it is known."""
    return anonymous_context(ip=client_address(request), request_id=request.get(REQUEST_ID))


def mutation_deps(request: web.Request, principal: Principal | None = None) -> dict[str, Any]:
    """The keyword arguments of a mutating use case: pool, clock and the request context."""
    app = request.app
    return {
        "pool": app[PG_POOL],
        "clock": app[CLOCK],
        "context": request_context(request, principal),
    }
