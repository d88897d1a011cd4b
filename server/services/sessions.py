"""Sessions: password login with lockout, refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import math
import uuid
from datetime import datetime

import asyncpg

from server.domain import accounts
from server.domain.accounts import LOCKOUT_DURATION, LOCKOUT_FAILURES, LOCKOUT_WINDOW
from server.domain.auth import Session
from server.domain.errors import DomainError, PermissionDenied, RateLimited, Unauthenticated
from server.domain.tokens import issue_access_token
from server.services.accounts_env import AccountsEnv, rate_limit
from server.services.user_views import user_read
from server.stores import credentials, login_guard, mail_queue
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
    env: AccountsEnv, user: asyncpg.Record | None, password: str
) -> None:
    """Verify `password` for `user` (None: unknown email), honouring and feeding the lockout.

    Raises `invalid_credentials` or `account_locked`; failures are committed before raising.
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
    async with env.pool.acquire() as conn, conn.transaction():
        failures = await login_guard.record_failure(
            conn, user["id"], now=now, window_start=now - LOCKOUT_WINDOW
        )
        if failures >= LOCKOUT_FAILURES:
            await login_guard.lock(conn, user["id"], now + LOCKOUT_DURATION)
            await mail_queue.enqueue(
                conn,
                to=user["email"],
                template="account_locked",
                params={
                    "name": user["name"],
                    "minutes": int(LOCKOUT_DURATION.total_seconds() // 60),
                },
                now=now,
            )
            error = account_locked(LOCKOUT_DURATION.total_seconds())
    raise error


async def login(env: AccountsEnv, *, email: str, password: str, client_address: str) -> Session:
    email = accounts.normalize_email(email)
    await rate_limit(env, action="login", email=email, client_address=client_address)
    async with env.pool.acquire() as conn:
        user = await users_store.by_email(conn, email)
    await check_password_or_count(env, user, password)
    assert user is not None
    check_can_sign_in(user)
    new_hash = None
    if env.passwords.needs_rehash(user["password_hash"]):
        new_hash = await env.passwords.hash(password)
    async with env.pool.acquire() as conn, conn.transaction():
        await login_guard.clear(conn, user["id"])
        if new_hash is not None:
            await users_store.update(conn, user["id"], now=env.clock.now(), password_hash=new_hash)
        return await start_session(env, conn, user)


async def refresh(env: AccountsEnv, *, refresh_token: str) -> Session:
    """Rotate: the presented token is spent and a new pair is issued in the same family.

    Presenting a spent token means it was copied: the whole family is revoked (committed),
    then the caller is refused.
    """
    now = env.clock.now()
    error: DomainError | None = None
    async with env.pool.acquire() as conn, conn.transaction():
        token = await credentials.refresh_for_update(conn, accounts.token_digest(refresh_token))
        if token is None:
            raise Unauthenticated("The refresh token is not valid.", code="invalid_refresh_token")
        user = await users_store.by_id(conn, token["user_id"])
        if token["revoked_at"] is not None:
            error = Unauthenticated("The session was ended.", code="refresh_token_revoked")
        elif token["used_at"] is not None:
            # A copied token: whoever holds the family's access tokens is cut off at once.
            await end_every_session(conn, token["user_id"], now)
            error = Unauthenticated(
                "This refresh token was already used; the session has been ended.",
                code="refresh_token_reused",
            )
        elif token["expires_at"] <= now:
            error = Unauthenticated("The refresh token has expired.", code="refresh_token_expired")
        elif user is None or user["token_version"] != token["token_version"]:
            # Password reset, block or role change since this session began.
            await credentials.revoke_family(conn, token["family_id"], now)
            error = Unauthenticated("The session was ended.", code="refresh_token_revoked")
        else:
            try:
                check_can_sign_in(user)
            except DomainError as exc:
                await credentials.revoke_family(conn, token["family_id"], now)
                error = exc
            else:
                await credentials.mark_refresh_used(conn, token["id"], now)
                return await start_session(env, conn, user, family_id=token["family_id"])
    assert error is not None
    raise error


async def logout(env: AccountsEnv, *, refresh_token: str) -> None:
    """End the session: its refresh and access tokens and its open sockets. Access tokens carry
    no session id, only the account's token version, so this signs the account out on every
    device. Unknown or already revoked tokens are already ended."""
    now = env.clock.now()
    async with env.pool.acquire() as conn, conn.transaction():
        token = await credentials.refresh_for_update(conn, accounts.token_digest(refresh_token))
        if token is not None and token["revoked_at"] is None:
            await end_every_session(conn, token["user_id"], now)
