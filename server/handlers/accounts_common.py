"""What the account handlers share: the use cases' environment and the caller's address."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from server.domain.accounts import AuthPolicy
from server.keys import CLOCK, FILE_STORAGE, JWT_SECRET, PASSWORDS, PG_POOL, SETTINGS
from server.services.accounts_env import AccountsEnv


def accounts_env(request: web.Request) -> AccountsEnv:
    app = request.app
    settings = app[SETTINGS]
    return AccountsEnv(
        pool=app[PG_POOL],
        clock=app[CLOCK],
        secret=app[JWT_SECRET],
        passwords=app[PASSWORDS],
        policy=AuthPolicy(
            access_ttl=timedelta(minutes=settings.access_token_minutes),
            refresh_ttl=timedelta(days=settings.refresh_token_days),
            per_email_per_minute=settings.rate_limit_per_email_per_minute,
            per_address_per_minute=settings.rate_limit_per_address_per_minute,
        ),
        storage=app.get(FILE_STORAGE),
    )


def client_address(request: web.Request) -> str:
    """The caller's address for per-address rate limits.

    Each of the TRUSTED_PROXY_HOPS proxies appends the address it received the request from to
    X-Forwarded-For, so the client is that many entries from the right; anything further left
    was written by the client and is not trusted.
    """
    hops = request.app[SETTINGS].trusted_proxy_hops
    if hops:
        forwarded = [
            part.strip()
            for header in request.headers.getall("X-Forwarded-For", [])
            for part in header.split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote or "unknown"
