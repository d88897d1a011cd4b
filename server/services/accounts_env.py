"""What the account use cases share: the pool, the clock, the secret, hashing, the rules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from server.domain.accounts import AuthPolicy, token_digest
from server.domain.clock import Clock
from server.domain.errors import RateLimited
from server.pg_pool import Pool
from server.services.passwords import Passwords
from server.stores import login_guard
from server.stores.files import FileStorage

RATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class AccountsEnv:
    pool: Pool
    clock: Clock
    secret: str
    passwords: Passwords
    policy: AuthPolicy
    storage: FileStorage | None  # None only before the storage backend is configured


async def rate_limit(
    env: AccountsEnv, *, action: str, email: str, client_address: str | None
) -> None:
    """Count this request per email (strict) and per client address (generous).

    Counted in their own short transaction: a request that then fails (wrong password) must
    still count, so these never ride in the use case's transaction. They are bookkeeping, not a
    change anyone made, so they are not audited (the attempt itself is, when it changes state).
    """
    client_address = client_address or "unknown"
    now = env.clock.now()
    window_start = now - timedelta(seconds=now.timestamp() % RATE_WINDOW.total_seconds())
    retry_after = math.ceil((window_start + RATE_WINDOW - now).total_seconds())
    # The email is hashed so the counters table holds no addresses.
    email_key = token_digest(email).hex()
    async with env.pool.acquire() as conn, conn.transaction():
        by_email = await login_guard.hit(
            conn, bucket=f"{action}:email", key=email_key, window_start=window_start
        )
        by_address = await login_guard.hit(
            conn, bucket=f"{action}:address", key=client_address, window_start=window_start
        )
    if by_email > env.policy.per_email_per_minute:
        raise RateLimited(retry_after, "Too many requests for this email; try again shortly.")
    if by_address > env.policy.per_address_per_minute:
        raise RateLimited(retry_after, "Too many requests from this address; try again shortly.")
