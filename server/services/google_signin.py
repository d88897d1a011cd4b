"""Sign in with Google: new emails get an account; password accounts must be linked first."""

from __future__ import annotations

import uuid

from server.domain.auth import Session
from server.domain.errors import Conflict
from server.services.accounts_env import AccountsEnv, rate_limit
from server.services.sessions import check_can_sign_in, check_password_or_count, start_session
from server.stores import login_guard
from server.stores import users as users_store
from server.stores.google_identity import GoogleVerifier


async def sign_in(env: AccountsEnv, *, google: GoogleVerifier, id_token: str) -> Session:
    identity = await google.verify(id_token)
    now = env.clock.now()
    async with env.pool.acquire() as conn, conn.transaction():
        user = await users_store.by_google_sub(conn, identity.sub)
        if user is None:
            existing = await users_store.by_email(conn, identity.email)
            if existing is not None:
                raise Conflict(
                    "An account with this email exists; link Google to it with its password.",
                    code="link_required",
                    details=[{"link": "/api/v1/auth/google/link"}],
                )
            user = await users_store.insert(
                conn,
                user_id=uuid.uuid4(),
                email=identity.email,
                name=identity.name,
                password_hash=None,
                google_sub=identity.sub,
                email_verified=True,  # Google vouched for it (email_verified claim)
                external_photo_url=identity.picture,
                now=now,
            )
            if user is None:  # the same email signed up a moment ago
                raise Conflict("An account with this email exists.", code="link_required")
        check_can_sign_in(user)
        return await start_session(env, conn, user)


async def link(
    env: AccountsEnv,
    *,
    google: GoogleVerifier,
    id_token: str,
    password: str,
    client_address: str,
) -> Session:
    """Attach a Google identity to the password account with the same email."""
    identity = await google.verify(id_token)
    await rate_limit(env, action="login", email=identity.email, client_address=client_address)
    async with env.pool.acquire() as conn:
        user = await users_store.by_email(conn, identity.email)
    # Same cost, lockout and answer as a password login.
    await check_password_or_count(env, user, password)
    assert user is not None
    if user["status"] != "active":
        check_can_sign_in(user)
    now = env.clock.now()
    async with env.pool.acquire() as conn, conn.transaction():
        current = await users_store.by_id(conn, user["id"], for_update=True)
        assert current is not None
        if current["google_sub"] not in (None, identity.sub):
            raise Conflict(
                "This account is linked to another Google account.", code="google_already_linked"
            )
        other = await users_store.by_google_sub(conn, identity.sub)
        if other is not None and other["id"] != user["id"]:
            raise Conflict(
                "This Google account is linked to another account.", code="google_already_linked"
            )
        await login_guard.clear(conn, user["id"])
        # Google has just proved the address, so an unverified sign-up becomes verified.
        updated = await users_store.update(
            conn, user["id"], now=now, google_sub=identity.sub, email_verified=True
        )
        return await start_session(env, conn, updated)
