"""Passwords: a single-use emailed token to recover a lost one, or a change with the current
one; either way a new password ends every session."""

from __future__ import annotations

import uuid

from server.domain import accounts
from server.domain.accounts import RESET_TTL
from server.domain.auth import Session
from server.domain.context import RequestContext
from server.domain.errors import InvalidInput, PermissionDenied, Unauthenticated
from server.domain.events import event, user_stream
from server.services.accounts_env import AccountsEnv, rate_limit
from server.services.sessions import check_password_or_count, start_session
from server.services.unit_of_work import UnitOfWork, unit_of_work
from server.stores import credentials, login_guard, mail_queue
from server.stores import users as users_store


async def forgot_password(env: AccountsEnv, *, context: RequestContext, email: str) -> None:
    """Email a reset token when the account exists; the caller answers 202 either way."""
    email = accounts.normalize_email(email)
    await rate_limit(env, action="forgot", email=email, client_address=context.ip)
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        user = await users_store.by_email(conn, email)
        if user is None or user["status"] != "active":
            uow.unchanged()
            return
        uow.identify(user["id"])
        token = accounts.new_opaque_token()
        await credentials.put_reset(
            conn,
            user_id=user["id"],
            token_hash=accounts.token_digest(token),
            now=now,
            expires_at=now + RESET_TTL,
        )
        await mail_queue.enqueue(
            conn,
            to=email,
            template="password_reset",
            params={
                "name": user["name"],
                "token": token,
                "minutes_valid": int(RESET_TTL.total_seconds() // 60),
            },
            now=now,
        )
        uow.audit("user.password_reset_request", target=("user", user["id"]))


async def _replace_password(uow: UnitOfWork, user_id: uuid.UUID, password_hash: str) -> None:
    """Set the new hash, bump the token version and revoke every refresh token."""
    conn, now = uow.conn, uow.now
    await users_store.update(conn, user_id, now=now, password_hash=password_hash)
    await users_store.bump_token_version(conn, user_id, now)
    await credentials.revoke_all_for_user(conn, user_id, now)
    await login_guard.clear(conn, user_id)
    uow.record(
        event("account.password_changed", user_stream(user_id), at=now, user_id=str(user_id))
    )


async def reset_password(
    env: AccountsEnv, *, context: RequestContext, token: str, new_password: str
) -> None:
    """Set the new password, bump the token version and revoke every refresh token."""
    digest = accounts.token_digest(token)
    async with env.pool.acquire() as conn:
        reset = await credentials.take_reset(conn, digest)
        user = await users_store.by_id(conn, reset["user_id"]) if reset else None
    if reset is None or user is None or reset["used_at"] is not None:
        raise InvalidInput("This reset link is not valid.", code="invalid_reset_token")
    if reset["expires_at"] <= env.clock.now():
        raise InvalidInput("This reset link has expired.", code="reset_token_expired")
    accounts.check_password(new_password, user["email"])
    password_hash = await env.passwords.hash(new_password)
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        # Re-read under lock: two resets with one token must not both succeed.
        reset = await credentials.take_reset(uow.conn, digest)
        if reset is None or reset["used_at"] is not None:
            raise InvalidInput("This reset link is not valid.", code="invalid_reset_token")
        uow.identify(user["id"])
        await credentials.mark_reset_used(uow.conn, digest, uow.now)
        await _replace_password(uow, user["id"], password_hash)
        uow.audit("user.password_reset", target=("user", user["id"]))


async def change_password(
    env: AccountsEnv, *, context: RequestContext, current_password: str, new_password: str
) -> Session:
    """Replace a password the caller knows (same cost and lockout as a login), end every
    session, and start a new one for this device."""
    user_id = context.actor_id
    async with env.pool.acquire() as conn:
        user = await users_store.by_id(conn, user_id)
    if user is None:
        raise Unauthenticated("The account no longer exists.", code="token_revoked")
    if user["password_hash"] is None:
        raise PermissionDenied(
            "This account signs in with Google; set a password with password recovery.",
            code="no_password",
        )
    try:
        await check_password_or_count(env, user, current_password, context=context)
    except Unauthenticated:
        # A 401 would read as "your access token failed"; this one is about the body.
        raise PermissionDenied(
            "The current password is not correct.", code="invalid_current_password"
        ) from None
    accounts.check_password(new_password, user["email"])
    password_hash = await env.passwords.hash(new_password)
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        await _replace_password(uow, user_id, password_hash)
        uow.audit("user.password_change", target=("user", user_id))
        fresh = await users_store.by_id(uow.conn, user_id)
        return await start_session(env, uow.conn, fresh)
