"""Admin sessions: who is calling an admin route, login with the users' lockout rules, refresh
rotation with reuse detection, logout. Every session change is audited (`admin.login`, ...)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from server.domain import accounts
from server.domain.accounts import LOCKOUT_DURATION, LOCKOUT_FAILURES, LOCKOUT_WINDOW
from server.domain.admin import ADMIN_REALM, AdminSession, admin_read
from server.domain.clock import Clock
from server.domain.context import RequestContext, admin_context
from server.domain.errors import DomainError, PermissionDenied, Unauthenticated
from server.domain.tokens import decode_access_token, issue_access_token
from server.services.accounts_env import AccountsEnv, rate_limit
from server.services.sessions import account_locked, invalid_credentials
from server.services.unit_of_work import UnitOfWork, unit_of_work
from server.stores import admin_accounts as admins
from server.stores import admin_sessions as store
from server.stores import credentials, mail_queue
from server.stores.credentials import ADMINS


@dataclass(frozen=True)
class AdminPrincipal:
    admin_id: uuid.UUID
    token_version: int
    expires_at: datetime


@dataclass(frozen=True)
class AdminEnv:
    accounts: AccountsEnv  # pool, clock, secret, hashing and the token lifetimes
    db: AsyncDatabase


def _refused() -> Unauthenticated:
    return Unauthenticated("The admin session is no longer valid.", code="token_revoked")


async def authenticate_admin(
    *, db: AsyncDatabase, secret: str, clock: Clock, token: str
) -> AdminPrincipal:
    """An admin-realm token of an active admin at its current token version. A valid user
    token is refused with 403 (`admin_required`): it is authenticated, just not an admin."""
    claims = decode_access_token(secret=secret, token=token, now=clock.now())
    if claims.realm != ADMIN_REALM:
        raise PermissionDenied("This needs an admin account.", code="admin_required")
    state = await admins.token_state(db, str(claims.user_id))
    if state is None or state["status"] != "active":
        raise _refused()
    if state.get("token_version", 0) != claims.token_version:
        raise _refused()
    return AdminPrincipal(claims.user_id, claims.token_version, claims.expires_at)


async def revoked_admins(
    *, db: AsyncDatabase, holders: set[tuple[uuid.UUID, int]]
) -> dict[tuple[uuid.UUID, int], str]:
    """Of (admin, token version) pairs held by sockets, those that no longer count, each with
    the reason its socket is told: `admin_removed` (the relay's watcher says so too, and
    usually first) or `token_revoked`."""
    out = {}
    for admin_id, version in holders:
        state = await admins.token_state(db, str(admin_id))
        if state is None or state["status"] != "active":
            out[(admin_id, version)] = "admin_removed"
        elif state["token_version"] != version:
            out[(admin_id, version)] = "token_revoked"
    return out


async def _issue(env: AdminEnv, uow: UnitOfWork, doc: dict, family_id: uuid.UUID | None):
    policy, now = env.accounts.policy, uow.now
    refresh = accounts.new_opaque_token()
    await credentials.put_refresh(
        uow.conn,
        family_id=family_id or uuid.uuid4(),
        user_id=uuid.UUID(doc["_id"]),
        token_hash=accounts.token_digest(refresh),
        token_version=doc["token_version"],
        now=now,
        expires_at=now + policy.refresh_ttl,
        table=ADMINS,
    )
    access = issue_access_token(
        secret=env.accounts.secret,
        user_id=uuid.UUID(doc["_id"]),
        token_version=doc["token_version"],
        now=now,
        ttl=policy.access_ttl,
        realm=ADMIN_REALM,
    )
    return AdminSession(
        access_token=access,
        refresh_token=refresh,
        expires_in=int(policy.access_ttl.total_seconds()),
        admin=admin_read(doc),
    )


async def login(
    env: AdminEnv, *, email: str, password: str, context: RequestContext
) -> AdminSession:
    email = accounts.normalize_email(email)
    acc = env.accounts
    await rate_limit(acc, action="admin_login", email=email, client_address=context.ip or "-")
    doc = await admins.by_email(env.db, email)
    admin_id = uuid.UUID(doc["_id"]) if doc is not None else None
    if admin_id is not None:
        async with acc.pool.acquire() as conn:
            until = await store.locked_until(conn, admin_id, acc.clock.now())
        if until is not None:
            raise account_locked((until - acc.clock.now()).total_seconds())
    matches = await acc.passwords.verify(doc["password_hash"] if doc else None, password)
    if doc is None or admin_id is None:
        raise invalid_credentials()
    if not matches:
        await _count_failure(env, doc, context)
    if doc["status"] != "active":
        raise invalid_credentials()
    ctx = admin_context(admin_id, ip=context.ip, request_id=context.request_id)
    async with unit_of_work(pool=acc.pool, clock=acc.clock, context=ctx) as uow:
        await store.clear(uow.conn, admin_id)
        uow.audit("admin.login", target=("admin", admin_id))
        return await _issue(env, uow, doc, None)


async def _count_failure(env: AdminEnv, doc: dict, context: RequestContext) -> None:
    """Count a wrong password (committed, and audited as the anonymous caller) and refuse;
    lock at the threshold."""
    acc, admin_id = env.accounts, uuid.UUID(doc["_id"])
    error: DomainError = invalid_credentials()
    async with unit_of_work(pool=acc.pool, clock=acc.clock, context=context) as uow:
        now = uow.now
        failures = await store.count_failure(
            uow.conn, admin_id, now=now, window_start=now - LOCKOUT_WINDOW
        )
        uow.audit("admin.login_failed", target=("admin", admin_id))
        if failures >= LOCKOUT_FAILURES:
            await store.lock(uow.conn, admin_id, now + LOCKOUT_DURATION)
            minutes = int(LOCKOUT_DURATION.total_seconds() // 60)
            await mail_queue.enqueue(
                uow.conn,
                to=doc["email"],
                template="account_locked",
                params={"name": doc["name"], "minutes": minutes},
                now=now,
            )
            uow.audit(
                "admin.lock", target=("admin", admin_id), changes={"minutes": [None, minutes]}
            )
            error = account_locked(LOCKOUT_DURATION.total_seconds())
    raise error


async def refresh(env: AdminEnv, *, refresh_token: str, context: RequestContext) -> AdminSession:
    """Rotate the pair; a spent token revokes its family (committed) before refusing."""
    acc = env.accounts
    digest = accounts.token_digest(refresh_token)
    async with acc.pool.acquire() as conn:
        found = await credentials.refresh_for_update(
            conn, digest, table=ADMINS
        )  # no lock: only to find the admin
    if found is None:
        raise Unauthenticated("The refresh token is not valid.", code="invalid_refresh_token")
    admin_id = found["admin_id"]
    doc = await admins.by_id(env.db, str(admin_id))
    ctx = admin_context(admin_id, ip=context.ip, request_id=context.request_id)
    error: DomainError | None = None
    async with unit_of_work(pool=acc.pool, clock=acc.clock, context=ctx) as uow:
        token = await credentials.refresh_for_update(uow.conn, digest, table=ADMINS)
        assert token is not None  # rows are never deleted
        if token["revoked_at"] is not None:
            raise Unauthenticated("The session was ended.", code="refresh_token_revoked")
        if token["expires_at"] <= uow.now:
            raise Unauthenticated("The refresh token has expired.", code="refresh_token_expired")
        if token["used_at"] is not None:
            error = Unauthenticated(
                "This refresh token was already used; the session has been ended.",
                code="refresh_token_reused",
            )
        elif (
            doc is None
            or doc["status"] != "active"
            or doc["token_version"] != token["token_version"]
        ):
            error = Unauthenticated("The session was ended.", code="refresh_token_revoked")
        if error is not None:
            await credentials.revoke_family(uow.conn, token["family_id"], uow.now, table=ADMINS)
            uow.audit(
                "admin.session_revoke",
                target=("admin", admin_id),
                changes={"reason": [None, error.code]},
            )
        else:
            await credentials.mark_refresh_used(uow.conn, token["id"], uow.now, table=ADMINS)
            uow.audit("admin.refresh", target=("admin", admin_id))
            return await _issue(env, uow, doc, token["family_id"])
    raise error


async def logout(env: AdminEnv, *, refresh_token: str, context: RequestContext) -> None:
    acc = env.accounts
    digest = accounts.token_digest(refresh_token)
    async with acc.pool.acquire() as conn:
        found = await credentials.refresh_for_update(conn, digest, table=ADMINS)
    if found is None or found["revoked_at"] is not None:
        return  # unknown or already ended: nothing to do
    ctx = admin_context(found["admin_id"], ip=context.ip, request_id=context.request_id)
    async with unit_of_work(pool=acc.pool, clock=acc.clock, context=ctx) as uow:
        await credentials.revoke_family(uow.conn, found["family_id"], uow.now, table=ADMINS)
        uow.audit("admin.logout", target=("admin", found["admin_id"]))
