"""The caller of an admin route: an admin-realm bearer token of an active admin.

A user token is refused with 403 (`admin_required`); a missing, invalid, expired or revoked
token with 401. User routes refuse admin tokens on their own (server/services/identity.py).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.domain.context import admin_context
from server.domain.errors import Unauthenticated
from server.handlers.accounts_common import accounts_env, client_address
from server.handlers.auth_context import bearer_token
from server.handlers.request_log import REQUEST_ID
from server.keys import CLOCK, JWT_SECRET, MONGO_DB, PG_POOL
from server.services.admin_auth import AdminEnv, AdminPrincipal, authenticate_admin

ADMIN_PRINCIPAL = web.RequestKey("admin_principal", AdminPrincipal)


async def require_admin(request: web.Request) -> AdminPrincipal:
    if (cached := request.get(ADMIN_PRINCIPAL)) is not None:
        return cached
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated("Send an admin access token: Authorization: Bearer <token>.")
    app = request.app
    principal = await authenticate_admin(
        db=app[MONGO_DB], secret=app[JWT_SECRET], clock=app[CLOCK], token=token
    )
    request[ADMIN_PRINCIPAL] = principal
    return principal


def admin_deps(
    request: web.Request, principal: AdminPrincipal, *, mongo: bool = True
) -> dict[str, Any]:
    """The keyword arguments of an admin use case: stores, clock and the admin's context."""
    app = request.app
    deps: dict[str, Any] = {
        "pool": app[PG_POOL],
        "clock": app[CLOCK],
        "context": admin_context(
            principal.admin_id, ip=client_address(request), request_id=request.get(REQUEST_ID)
        ),
    }
    if mongo:
        deps["db"] = app[MONGO_DB]
    return deps


def admin_env(request: web.Request) -> AdminEnv:
    return AdminEnv(accounts=accounts_env(request), db=request.app[MONGO_DB])
