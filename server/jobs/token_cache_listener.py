"""Keeps the token-state cache exact: LISTEN for `user_token_state` and invalidate entries.

Runs as an aiojobs job from its own cleanup context. While the LISTEN connection is down the
cache is switched off (every request reads Postgres), so a lost connection never means a
revoked token is honoured.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from server.keys import DATABASE_DSN, SCHEDULER, TOKEN_CACHE
from server.services.token_cache import TokenStateCache

log = logging.getLogger("classconnect.auth")

CHANNEL = "user_token_state"
APPLICATION_NAME = "classconnect-token-cache"
RECONNECT_SECONDS = 1.0


async def run_listener(dsn: str, cache: TokenStateCache) -> None:
    def on_notify(_conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            cache.invalidate(uuid.UUID(payload))
        except ValueError:
            cache.reset(live=cache.live)  # unreadable: forget everything rather than guess

    while True:
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(
                dsn, server_settings={"application_name": APPLICATION_NAME}
            )
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
            await conn.add_listener(CHANNEL, on_notify)
            cache.reset(live=True)  # only now is every later change announced to us
            await lost.wait()
            log.warning("token-state LISTEN connection lost; reading Postgres meanwhile")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("token-state LISTEN failed; reading Postgres meanwhile", exc_info=True)
        finally:
            cache.reset(live=False)
            if conn is not None:
                conn.terminate()  # nothing in flight worth a graceful close
        await asyncio.sleep(RECONNECT_SECONDS)


async def token_cache_ctx(app: web.Application) -> AsyncIterator[None]:
    cache = TokenStateCache()
    app[TOKEN_CACHE] = cache
    job = await app[SCHEDULER].spawn(run_listener(app[DATABASE_DSN], cache))
    yield
    await job.close()
