"""Who is calling: turn an access token into a `Principal`, or refuse."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from server.domain.clock import Clock
from server.domain.errors import Unauthenticated
from server.domain.tokens import decode_access_token
from server.pg_pool import Pool
from server.services.token_cache import TokenState, TokenStateCache
from server.stores import users as users_store

# Reads one user's token state; the realtime layer batches these across connecting sockets.
StateLoader = Callable[[uuid.UUID], Awaitable[TokenState | None]]


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    token_version: int
    expires_at: datetime  # of the token it was authenticated with


async def authenticate(
    *,
    pool: Pool,
    secret: str,
    clock: Clock,
    token: str,
    cache: TokenStateCache | None = None,
    load_state: StateLoader | None = None,
) -> Principal:
    """A valid, unexpired token whose user is active and whose version is current."""
    claims = decode_access_token(secret=secret, token=token, now=clock.now())
    if claims.realm != "user":
        raise Unauthenticated("This token is not for this API.", code="token_invalid")
    state = await _token_state(pool, cache, claims.user_id, load_state)
    if state is None or state[0] == "deleted":
        raise Unauthenticated("The account no longer exists.", code="token_revoked")
    if state[0] == "blocked":
        raise Unauthenticated("The account is blocked.", code="account_blocked")
    if state[0] == "unverified":  # no route issues one such a token; refused all the same
        raise Unauthenticated("Verify your email address first.", code="email_not_verified")
    if state[1] != claims.token_version:
        raise Unauthenticated("The access token was revoked.", code="token_revoked")
    return Principal(claims.user_id, claims.token_version, claims.expires_at)


async def _token_state(
    pool: Pool,
    cache: TokenStateCache | None,
    user_id: uuid.UUID,
    load_state: StateLoader | None,
) -> TokenState | None:
    if cache is not None and (cached := cache.get(user_id)) is not None:
        return cached
    generation = cache.generation if cache is not None else 0
    if load_state is None:
        load_state = partial(read_token_state, pool)
    state = await load_state(user_id)
    if state is not None and cache is not None:
        cache.store(user_id, state, generation)
    return state


async def read_token_state(pool: Pool, user_id: uuid.UUID) -> TokenState | None:
    return (await read_token_states(pool=pool, user_ids=[user_id])).get(user_id)


async def read_token_states(
    *, pool: Pool, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, TokenState]:
    """Many users' token states in one query (users that do not exist are left out)."""
    async with pool.acquire() as conn:
        return await users_store.token_states(conn, user_ids)
