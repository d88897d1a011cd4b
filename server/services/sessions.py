"""Sessions: password login with lockout, refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import math
import uuid
from datetime import datetime

import asyncpg

from server.domain import accounts
from server.domain.accounts import LOCKOUT_DURATION, LOCKOUT_FAILURES, LOCKOUT_WINDOW
from server.domain.auth import Session
from server.domain.context import RequestContext
from server.domain.errors import DomainError, PermissionDenied, RateLimited, Unauthenticated
from server.domain.events import event, user_stream
from server.domain.tokens import issue_access_token
from server.services.accounts_env import AccountsEnv, rate_limit
from server.services.unit_of_work import UnitOfWork, unit_of_work
from server.services.user_views import user_read
from server.stores import credentials, login_guard
from server.stores import users as users_store


def invalid_credentials() -> Unauthenticated:
    return Unauthenticated("The email or password is not correct.", code="invalid_credentials")


def account_locked(retry_after: float) -> RateLimited:
    return RateLimited(
        math.ceil(retry_after),
        "Too many failed logins; the account is locked for a while.",
        code="account_locked",
    )


def check_can_sign_in(user: asyncpg.Record) -> None:
    """After the password (or Google) proved who it is: may this account sign in now?"""
    if user["status"] == "blocked":
        raise PermissionDenied("This account has been blocked.", code="account_blocked")
    if user["status"] == "deleted":
        raise invalid_credentials()
    if not user["email_verified"]:
        raise PermissionDenied(
            "Verify your email with the PIN we sent before logging in.",
            code="email_not_verified",
        )


async def end_every_session(conn: asyncpg.Connection, user_id: uuid.UUID, now: datetime) -> None:
    """Revoke every refresh token and bump the token version, so the access tokens already
    handed out stop counting too. The version change NOTIFYs every process (token-state cache,
    sockets dropped with `token_revoked`), exactly as after a password reset."""
    await users_store.bump_token_version(conn, user_id, now)
    await credentials.revoke_all_for_user(conn, user_id, now)


async def start_session(
    env: AccountsEnv,
    conn: asyncpg.Connection,
    user: asyncpg.Record,
    *,
    family_id: uuid.UUID | None = None,
) -> Session:
    """Issue an access token and a refresh token (a new family unless rotating one)."""
    now = env.clock.now()
    refresh = accounts.new_opaque_token()
    await credentials.put_refresh(
        conn,
        family_id=family_id or uuid.uuid4(),
        user_id=user["id"],
        token_hash=accounts.token_digest(refresh),
        token_version=user["token_version"],
        now=now,
        expires_at=now + env.policy.refresh_ttl,
    )
    access = issue_access_token(
        secret=env.secret,
        user_id=user["id"],
        token_version=user["token_version"],
        now=now,
        ttl=env.policy.access_ttl,
    )
    return Session(
        access_token=access,
        refresh_token=refresh,
        expires_in=int(env.policy.access_ttl.total_seconds()),
        user=user_read(user, env.storage),
    )


async def check_password_or_count(
    env: AccountsEnv, user: asyncpg.Record | None, password: str, *, context: RequestContext
) -> None:
    """Verify `password` for `user` (None: unknown email), honouring and feeding the lockout.

    Raises `invalid_credentials` or `account_locked`; failures are committed (and audited as
    the account's) before raising. An unknown email changes nothing, so nothing is recorded.
    A lockout records `account.locked`: the notifications pipeline warns the owner.
    """
    now = env.clock.now()
    if user is not None:
        async with env.pool.acquire() as conn:
            until = await login_guard.locked_until(conn, user["id"], now)
        if until is not None:
            raise account_locked((until - now).total_seconds())
    stored = user["password_hash"] if user is not None else None
    if await env.passwords.verify(stored, password):
        return
    if user is None:
        raise invalid_credentials()
    error: DomainError = invalid_credentials()
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        conn, user_id = uow.conn, user["id"]
        uow.identify(user_id)
        failures = await login_guard.record_failure(
            conn, user_id, now=now, window_start=now - LOCKOUT_WINDOW
        )
        uow.audit(
            "user.login_failed",
            target=("user", user_id),
            changes={"failures": [failures - 1, failures]},
        )
        if failures >= LOCKOUT_FAILURES:
            until = now + LOCKOUT_DURATION
            await login_guard.lock(conn, user_id, until)
            uow.record(
                event(
                    "account.locked",
                    user_stream(user_id),
                    at=uow.now,
                    user_id=str(user_id),
                    until=until.isoformat(),
                )
            )
            uow.audit(
                "user.lockout",
                target=("user", user_id),
                changes={"locked_until": [None, until.isoformat()]},
            )
            error = account_locked(LOCKOUT_DURATION.total_seconds())
    raise error


def audit_login(uow: UnitOfWork, user_id: uuid.UUID, method: str) -> None:
    uow.audit("user.login", target=("user", user_id), changes={"method": [None, method]})


async def login(env: AccountsEnv, *, context: RequestContext, email: str, password: str) -> Session:
    email = accounts.normalize_email(email)
    await rate_limit(env, action="login", email=email, client_address=context.ip)
    async with env.pool.acquire() as conn:
        user = await users_store.by_email(conn, email)
    await check_password_or_count(env, user, password, context=context)
    assert user is not None
    check_can_sign_in(user)
    new_hash = None
    if env.passwords.needs_rehash(user["password_hash"]):
        new_hash = await env.passwords.hash(password)
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        uow.identify(user["id"])
        await login_guard.clear(uow.conn, user["id"])
        if new_hash is not None:
            await users_store.update(uow.conn, user["id"], now=uow.now, password_hash=new_hash)
        audit_login(uow, user["id"], "password")
        return await start_session(env, uow.conn, user)


async def refresh(env: AccountsEnv, *, context: RequestContext, refresh_token: str) -> Session:
    """Rotate: the presented token is spent and a new pair is issued in the same family.

    Presenting a spent token means it was copied: the whole family is revoked (committed),
    then the caller is refused.
    """
    error: DomainError | None = None
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        token = await credentials.refresh_for_update(conn, accounts.token_digest(refresh_token))
        if token is None:
            raise Unauthenticated("The refresh token is not valid.", code="invalid_refresh_token")
        uow.identify(token["user_id"])
        family = token["family_id"]
        user = await users_store.by_id(conn, token["user_id"])
        if token["revoked_at"] is not None:
            error = Unauthenticated("The session was ended.", code="refresh_token_revoked")
        elif token["used_at"] is not None:
            await _revoke(uow, family, "reused")
            # A copied token: whoever holds the family's access tokens is cut off at once.
            await end_every_session(uow.conn, token["user_id"], uow.now)
            error = Unauthenticated(
                "This refresh token was already used; the session has been ended.",
                code="refresh_token_reused",
            )
        elif token["expires_at"] <= now:
            error = Unauthenticated("The refresh token has expired.", code="refresh_token_expired")
        elif user is None or user["token_version"] != token["token_version"]:
            # Password reset, block or role change since this session began.
            await _revoke(uow, family, "superseded")
            error = Unauthenticated("The session was ended.", code="refresh_token_revoked")
        else:
            try:
                check_can_sign_in(user)
            except DomainError as exc:
                await _revoke(uow, family, exc.code)
                error = exc
            else:
                await credentials.mark_refresh_used(conn, token["id"], now)
                uow.audit("session.refresh", target=("session", family))
                return await start_session(env, conn, user, family_id=family)
        if not uow.audits:
            uow.unchanged()  # refused without touching anything
    assert error is not None
    raise error


async def _revoke(uow: UnitOfWork, family_id: uuid.UUID, reason: str) -> None:
    await credentials.revoke_family(uow.conn, family_id, uow.now)
    uow.audit(
        "session.revoke",
        target=("session", family_id),
        changes={"status": ["active", "revoked"], "reason": [None, reason]},
    )


async def logout(env: AccountsEnv, *, context: RequestContext, refresh_token: str) -> None:
    """End the session the refresh token belongs to; unknown tokens are already ended."""
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        conn = uow.conn
        token = await credentials.refresh_for_update(conn, accounts.token_digest(refresh_token))
        if token is None or token["revoked_at"] is not None:
            uow.unchanged()  # already ended
            return
        uow.identify(token["user_id"])
        # Access tokens carry no session id, only the account's token version, so this signs
        # the account out on every device (refresh and access tokens, open sockets).
        await end_every_session(conn, token["user_id"], uow.now)
        uow.audit(
            "user.logout",
            target=("user", token["user_id"]),
            changes={"session_id": [str(token["family_id"]), None]},
        )
