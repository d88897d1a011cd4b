"""The application factory. Everything the process shares is built here, nowhere at import.

Each resource opens and closes in its own cleanup context, in dependency order: embedded
servers (when no URL is configured), then the Postgres pool (which applies migrations), the
Mongo client (which ensures indexes), and the background-job scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiojobs
import asyncpg
from aiohttp import web
from pymongo import AsyncMongoClient

from server import __version__, embedded
from server.domain.clock import Clock, SystemClock
from server.handlers.errors import error_middleware
from server.handlers.openapi import build_openapi
from server.handlers.request_log import request_log_middleware
from server.handlers.routes import setup_routes
from server.keys import (
    CLOCK,
    DATABASE_DSN,
    ENDPOINTS,
    JWT_SECRET,
    MONGO_CLIENT,
    MONGO_DB,
    MONGODB_URI,
    OPENAPI_DOC,
    PG_POOL,
    READINESS_CHECKS,
    SCHEDULER,
    SETTINGS,
)
from server.settings import Settings
from server.stores.migrations import apply_migrations
from server.stores.mongo_indexes import ensure_indexes

log = logging.getLogger("classconnect")


async def postgres_server_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.database_url:
        app[DATABASE_DSN] = settings.database_url
        yield
        return
    server, dsn = await asyncio.to_thread(embedded.start_postgres, settings.data_dir)
    log.info("embedded Postgres started", extra={"data": str(server.pgdata), "dsn": dsn})
    app[DATABASE_DSN] = dsn
    yield
    await asyncio.to_thread(embedded.stop_postgres, server)


async def mongo_server_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.mongodb_url:
        app[MONGODB_URI] = settings.mongodb_url
        yield
        return
    server, uri = await asyncio.to_thread(
        embedded.start_mongo, settings.data_dir, settings.embedded_mongo_port
    )
    log.info(
        "embedded MongoDB-wire server (SecantusDB) started",
        extra={"data": str(settings.data_dir.resolve() / "mongo"), "uri": uri},
    )
    app[MONGODB_URI] = uri
    yield
    await asyncio.to_thread(embedded.stop_mongo, server)


async def pg_pool_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await asyncpg.create_pool(
        app[DATABASE_DSN], min_size=settings.db_pool_min, max_size=settings.db_pool_max
    )
    async with pool.acquire() as conn:
        applied = await apply_migrations(conn)
    if applied:
        log.info("migrations applied", extra={"migrations": applied})
    app[PG_POOL] = pool
    yield
    await pool.close()


async def mongo_client_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    client: AsyncMongoClient = AsyncMongoClient(app[MONGODB_URI], tz_aware=True)
    db = client[settings.mongodb_database]
    await ensure_indexes(db)
    app[MONGO_CLIENT] = client
    app[MONGO_DB] = db
    yield
    await client.close()


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    # Jobs get the shutdown budget to finish; anything left is retried from its durable queue.
    scheduler = aiojobs.Scheduler(close_timeout=app[SETTINGS].shutdown_timeout_seconds / 3)
    app[SCHEDULER] = scheduler
    yield
    await scheduler.close()


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    app = web.Application(
        middlewares=[request_log_middleware, error_middleware],
        client_max_size=max(settings.max_body_bytes, settings.max_upload_bytes),
    )
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[JWT_SECRET] = settings.resolve_jwt_secret()
    app[READINESS_CHECKS] = {}
    app.cleanup_ctx.extend(
        [postgres_server_ctx, mongo_server_ctx, pg_pool_ctx, mongo_client_ctx, scheduler_ctx]
    )
    app[ENDPOINTS] = setup_routes(app)
    app[OPENAPI_DOC] = build_openapi(app[ENDPOINTS], version=__version__)
    return app
