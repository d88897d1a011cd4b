"""Sign in with Google: new emails get an account; password accounts must be linked first."""

from __future__ import annotations

import uuid

from server.domain.audit import changes_between
from server.domain.auth import Session
from server.domain.context import RequestContext
from server.domain.errors import Conflict
from server.domain.events import event, user_stream
from server.services.accounts_env import AccountsEnv, rate_limit
from server.services.sessions import (
    audit_login,
    check_can_sign_in,
    check_password_or_count,
    start_session,
)
from server.services.unit_of_work import unit_of_work
from server.stores import login_guard
from server.stores import users as users_store
from server.stores.google_identity import GoogleVerifier


async def sign_in(
    env: AccountsEnv, *, context: RequestContext, google: GoogleVerifier, id_token: str
) -> Session:
    identity = await google.verify(id_token)
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        conn, now = uow.conn, uow.now
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
            uow.audit(
                "user.register",
                target=("user", user["id"]),
                changes={
                    **changes_between(None, user, fields=("email", "name", "email_verified")),
                    "provider": [None, "google"],
                },
            )
        check_can_sign_in(user)
        uow.identify(user["id"])
        audit_login(uow, user["id"], "google")
        return await start_session(env, conn, user)


async def link(
    env: AccountsEnv,
    *,
    context: RequestContext,
    google: GoogleVerifier,
    id_token: str,
    password: str,
) -> Session:
    """Attach a Google identity to the password account with the same email."""
    identity = await google.verify(id_token)
    await rate_limit(env, action="login", email=identity.email, client_address=context.ip)
    async with env.pool.acquire() as conn:
        user = await users_store.by_email(conn, identity.email)
    # Same cost, lockout and answer as a password login.
    await check_password_or_count(env, user, password, context=context)
    assert user is not None
    if user["status"] != "active":
        check_can_sign_in(user)
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        uow.identify(user["id"])
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
        if current["google_sub"] is None:
            uow.record(
                event(
                    "account.google_linked",
                    user_stream(user["id"]),
                    at=now,
                    user_id=str(user["id"]),
                )
            )
            uow.audit(
                "user.google_link",
                target=("user", user["id"]),
                changes={
                    "google_linked": [False, True],
                    **changes_between(current, updated, fields=("email_verified",)),
                },
            )
        audit_login(uow, user["id"], "google")
        return await start_session(env, conn, updated)
