"""Use cases behind the Socket.IO namespaces: who is connecting and what they may hear."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase

from server.domain import realtime as rules
from server.domain.clock import Clock
from server.domain.errors import NotFound, PermissionDenied, Unauthenticated
from server.pg_pool import Pool
from server.services.admin_auth import authenticate_admin
from server.services.identity import StateLoader, authenticate
from server.services.token_cache import TokenStateCache
from server.stores import memberships, realtime_access
from server.stores import users as users_store


@dataclass(frozen=True, slots=True)
class SocketIdentity:
    user_id: uuid.UUID
    token_version: int
    expires_at: datetime


async def identify_user(
    *,
    pool: Pool,
    secret: str,
    clock: Clock,
    token: str,
    cache: TokenStateCache | None = None,
    load_state: StateLoader | None = None,
) -> SocketIdentity:
    """Like a REST bearer check (token_invalid/expired/revoked, account_blocked), plus expiry."""
    principal = await authenticate(
        pool=pool, secret=secret, clock=clock, token=token, cache=cache, load_state=load_state
    )
    return SocketIdentity(principal.user_id, principal.token_version, principal.expires_at)


async def identify_admin(
    *, db: AsyncDatabase, secret: str, clock: Clock, token: str
) -> SocketIdentity:
    """An admin-realm token of an active admin at its current token version."""
    try:
        admin = await authenticate_admin(db=db, secret=secret, clock=clock, token=token)
    except PermissionDenied:  # a user's token
        raise Unauthenticated(
            "This namespace needs an admin token.", code="admin_required"
        ) from None
    return SocketIdentity(admin.admin_id, admin.token_version, admin.expires_at)


async def read_course_roles(
    *, pool: Pool, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """Many users' live (course_id, role) memberships in one query."""
    async with pool.acquire() as conn:
        return await _course_roles(conn, user_ids)


async def _course_roles(
    conn: asyncpg.Connection, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    roles: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    for r in await memberships.course_roles_of_users(conn, user_ids):
        roles.setdefault(r["user_id"], []).append((r["course_id"], r["role"]))
    return roles


async def user_streams(*, pool: Pool, user_id: uuid.UUID) -> set[str]:
    roles = await read_course_roles(pool=pool, user_ids=[user_id])
    return rules.streams_of(user_id, roles.get(user_id, []))


async def watchable_stream(
    *, pool: Pool, user_id: uuid.UUID, assignment_id: uuid.UUID
) -> tuple[str, uuid.UUID]:
    """The submissions stream of an assignment and its course, for the course's owner and
    assistants only."""
    async with pool.acquire() as conn:
        course_id = await realtime_access.assignment_course(conn, assignment_id)
        if course_id is None:
            raise NotFound("No such assignment.", code="assignment_not_found")
        roles = (await _course_roles(conn, [user_id])).get(user_id, [])
    staff = rules.staff_courses(roles)
    if course_id not in staff:
        raise PermissionDenied("Only the course's staff may watch submissions.", code="not_staff")
    return rules.watch_stream(assignment_id), course_id


async def revoked_users(
    *, pool: Pool, holders: set[tuple[uuid.UUID, int]]
) -> dict[tuple[uuid.UUID, int], str]:
    """Of (user, token version) pairs held by sockets, those whose tokens no longer count, with
    the reason (`token_revoked`, `account_blocked`)."""
    if not holders:
        return {}
    async with pool.acquire() as conn:
        states = await users_store.token_states(conn, list({u for u, _ in holders}))
    out: dict[tuple[uuid.UUID, int], str] = {}
    for user_id, version in holders:
        status, current = states.get(user_id, ("deleted", -1))
        if status == "blocked":
            out[(user_id, version)] = "account_blocked"
        elif status == "deleted" or current != version:
            out[(user_id, version)] = "token_revoked"
    return out
