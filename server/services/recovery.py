"""Password recovery: a single-use emailed token, then a new password that ends every session."""

from __future__ import annotations

from server.domain import accounts
from server.domain.accounts import RESET_TTL
from server.domain.errors import InvalidInput
from server.services.accounts_env import AccountsEnv, rate_limit
from server.stores import credentials, login_guard, mail_queue
from server.stores import users as users_store


async def forgot_password(env: AccountsEnv, *, email: str, client_address: str) -> None:
    """Email a reset token when the account exists; the caller answers 202 either way."""
    email = accounts.normalize_email(email)
    await rate_limit(env, action="forgot", email=email, client_address=client_address)
    now = env.clock.now()
    async with env.pool.acquire() as conn, conn.transaction():
        user = await users_store.by_email(conn, email)
        if user is None or user["status"] != "active":
            return
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


async def reset_password(env: AccountsEnv, *, token: str, new_password: str) -> None:
    """Set the new password, bump the token version and revoke every refresh token."""
    digest = accounts.token_digest(token)
    async with env.pool.acquire() as conn:
        reset = await credentials.take_reset(conn, digest)
        user = await users_store.by_id(conn, reset["user_id"]) if reset else None
    if reset is None or user is None or reset["used_at"] is not None:
        raise InvalidInput("This reset link is not valid.", code="invalid_reset_token")
    now = env.clock.now()
    if reset["expires_at"] <= now:
        raise InvalidInput("This reset link has expired.", code="reset_token_expired")
    accounts.check_password(new_password, user["email"])
    password_hash = await env.passwords.hash(new_password)
    async with env.pool.acquire() as conn, conn.transaction():
        # Re-read under lock: two resets with one token must not both succeed.
        reset = await credentials.take_reset(conn, digest)
        if reset is None or reset["used_at"] is not None:
            raise InvalidInput("This reset link is not valid.", code="invalid_reset_token")
        await credentials.mark_reset_used(conn, digest, now)
        await users_store.update(conn, user["id"], now=now, password_hash=password_hash)
        await users_store.bump_token_version(conn, user["id"], now)
        await credentials.revoke_all_for_user(conn, user["id"], now)
        await login_guard.clear(conn, user["id"])
