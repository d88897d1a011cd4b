"""Who is calling: turn an access token into a `Principal`, or refuse."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from server.domain.clock import Clock
from server.domain.errors import Unauthenticated
from server.domain.tokens import decode_access_token
from server.stores import users as users_store


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    token_version: int


async def authenticate(*, pool: asyncpg.Pool, secret: str, clock: Clock, token: str) -> Principal:
    """A valid, unexpired token whose user is active and whose version is current."""
    claims = decode_access_token(secret=secret, token=token, now=clock.now())
    if claims.realm != "user":
        raise Unauthenticated("This token is not for this API.", code="token_invalid")
    async with pool.acquire() as conn:
        state = await users_store.token_state(conn, claims.user_id)
    if state is None or state["status"] == "deleted":
        raise Unauthenticated("The account no longer exists.", code="token_revoked")
    if state["status"] == "blocked":
        raise Unauthenticated("The account is blocked.", code="account_blocked")
    if state["token_version"] != claims.token_version:
        raise Unauthenticated("The access token was revoked.", code="token_revoked")
    return Principal(claims.user_id, claims.token_version)
