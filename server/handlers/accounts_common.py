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
    # The peer address as aiohttp sees it (it honours Forwarded headers only when configured).
    return request.remote or "unknown"
