"""Sign-up and email proof: register, verify a PIN, resend one."""

from __future__ import annotations

import math
import uuid
from datetime import datetime

import asyncpg

from server.domain import accounts, emails
from server.domain.accounts import PIN_MAX_ATTEMPTS, PIN_RESEND_INTERVAL, PIN_TTL
from server.domain.audit import changes_between
from server.domain.context import RequestContext
from server.domain.errors import Conflict, InvalidInput, RateLimited
from server.domain.users import UserCreate, UserRead
from server.services.accounts_env import AccountsEnv, rate_limit
from server.services.unit_of_work import unit_of_work
from server.services.user_views import user_read
from server.stores import credentials, mail_queue
from server.stores import users as users_store


async def send_pin(
    conn: asyncpg.Connection, *, user_id: uuid.UUID, name: str, email: str, now: datetime
) -> None:
    """Replace the user's PIN with a new one for `email` and queue the email (same tx)."""
    pin = accounts.new_pin()
    await credentials.put_pin(
        conn,
        user_id=user_id,
        email=email,
        pin_hash=accounts.pin_digest(pin, user_id=user_id, email=email),
        now=now,
        expires_at=now + PIN_TTL,
    )
    await mail_queue.enqueue(
        conn,
        to=email,
        template="verify_email",
        params={"name": name, "pin": pin, "minutes_valid": int(PIN_TTL.total_seconds() // 60)},
        now=now,
    )


async def tell_owner_of_sign_up_attempt(
    conn: asyncpg.Connection, *, email: str, now: datetime
) -> uuid.UUID | None:
    """Someone signed up with a taken address: its owner hears of it (at most hourly). Returns
    the owner told, or None when nobody was."""
    since = now - accounts.ACCOUNT_EXISTS_NOTICE_INTERVAL
    if await mail_queue.queued_since(conn, to=email, template="account_exists", since=since):
        return None
    owner = await users_store.by_email(conn, email)
    if owner is None or owner["status"] == "deleted":  # nobody to tell
        return None
    await mail_queue.enqueue(
        conn,
        to=email,
        template="account_exists",
        params={"name": owner["name"], "locale": emails.email_language(owner["locale"])},
        now=now,
    )
    return owner["id"]


async def register(env: AccountsEnv, *, context: RequestContext, data: UserCreate) -> None:
    """Create the account and email its PIN; with a taken address, email the owner instead.
    The caller cannot tell which happened: same answer, and the password is hashed either way
    so the time taken does not tell either."""
    email = accounts.normalize_email(data.email)
    await rate_limit(env, action="register", email=email, client_address=context.ip)
    accounts.check_password(data.password, email)
    password_hash = await env.passwords.hash(data.password)
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        row = await users_store.insert(
            conn,
            user_id=uuid.uuid4(),
            email=email,
            name=data.name,
            password_hash=password_hash,
            google_sub=None,
            email_verified=False,
            external_photo_url=None,
            now=now,
        )
        if row is None:
            owner_id = await tell_owner_of_sign_up_attempt(conn, email=email, now=now)
            if owner_id is None:
                uow.unchanged()
                return
            uow.identify(owner_id)
            uow.audit("user.register_duplicate", target=("user", owner_id))
            return
        uow.identify(row["id"])
        uow.audit(
            "user.register",
            target=("user", row["id"]),
            changes=changes_between(None, row, fields=_REGISTERED),
        )
        await send_pin(conn, user_id=row["id"], name=row["name"], email=email, now=now)


_WRONG_PIN = "The PIN is not valid for this email."
# What the audit shows of a new account (never its password or PIN).
_REGISTERED = ("email", "name", "email_verified")
_VERIFIED = ("email", "pending_email", "email_verified")


async def verify_email(
    env: AccountsEnv, *, context: RequestContext, email: str, pin: str
) -> UserRead:
    """Prove `email` (a sign-up's address, or a pending new address) with its PIN.

    A wrong PIN is counted in a committed transaction before the error is raised, so the
    5-try limit holds; the error is raised after the transaction block.
    """
    email = accounts.normalize_email(email)
    failure: InvalidInput | None = None
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        user = await users_store.awaiting_pin(conn, email)
        pin_row = await credentials.pin_for(conn, user["id"], email) if user else None
        if user is None or pin_row is None:
            raise InvalidInput(_WRONG_PIN, code="invalid_pin")
        uow.identify(user["id"])
        if pin_row["attempts"] >= PIN_MAX_ATTEMPTS:
            raise InvalidInput(
                "Too many wrong tries; ask for a new PIN.", code="pin_attempts_exhausted"
            )
        if pin_row["expires_at"] <= now:
            raise InvalidInput("The PIN has expired; ask for a new one.", code="pin_expired")
        if not accounts.pin_matches(pin, pin_row["pin_hash"], user_id=user["id"], email=email):
            attempts = await credentials.count_pin_failure(conn, user["id"])
            uow.audit(
                "user.verify_failed",
                target=("user", user["id"]),
                changes={"attempts": [attempts - 1, attempts]},
            )
            failure = InvalidInput(
                _WRONG_PIN,
                code="invalid_pin",
                details=[{"attempts_left": max(0, PIN_MAX_ATTEMPTS - attempts)}],
            )
        else:
            await credentials.delete_pin(conn, user["id"])
            if user["pending_email"] == email:
                if await users_store.by_email(conn, email) is not None:
                    raise Conflict("Another account now uses this email.", code="email_taken")
                row = await users_store.update(
                    conn, user["id"], now=now, email=email, pending_email=None, email_verified=True
                )
            else:
                row = await users_store.update(conn, user["id"], now=now, email_verified=True)
            uow.audit(
                "user.verify",
                target=("user", user["id"]),
                changes=changes_between(user, row, fields=_VERIFIED),
            )
    if failure is not None:
        raise failure
    return user_read(row, env.storage)


async def resend_pin(env: AccountsEnv, *, context: RequestContext, email: str) -> None:
    """Send a new PIN (killing the old one) at most once a minute per email.

    Answers the same whether or not the email is waiting for a PIN (no account enumeration).
    """
    email = accounts.normalize_email(email)
    await rate_limit(env, action="resend", email=email, client_address=context.ip)
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        user = await users_store.awaiting_pin(conn, email)
        if user is None:
            uow.unchanged()
            return
        uow.identify(user["id"])
        current = await credentials.pin_for(conn, user["id"], email)
        if current is not None and now < current["sent_at"] + PIN_RESEND_INTERVAL:
            wait = (current["sent_at"] + PIN_RESEND_INTERVAL - now).total_seconds()
            raise RateLimited(
                math.ceil(wait),
                "A PIN was sent less than a minute ago; wait before asking again.",
                code="resend_too_soon",
            )
        await send_pin(conn, user_id=user["id"], name=user["name"], email=email, now=now)
        uow.audit("user.verify_resend", target=("user", user["id"]))
