"""The application factory. Everything the process shares is built here, nowhere at import.

Each resource opens and closes in its own cleanup context, in dependency order: the metrics
client, embedded servers (when no URL is configured), then the Postgres pool (which applies
migrations), the Mongo client (which ensures indexes), and the background-job scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import aiohttp
import aiojobs
from aiohttp import web
from pymongo import AsyncMongoClient

from server import __version__, embedded
from server.domain.clock import Clock, SystemClock
from server.domain.notification_rules import Audience
from server.handlers.admin_ops import process_probe_middleware
from server.handlers.body_limits import body_limit_middleware
from server.handlers.cors import cors_middleware, setup_cors
from server.handlers.errors import error_middleware
from server.handlers.metrics_middleware import metrics_middleware
from server.handlers.openapi import build_openapi
from server.handlers.request_log import request_log_middleware
from server.handlers.routes import setup_routes
from server.handlers.routing import LazyDocument
from server.handlers.security_headers import setup_security_headers
from server.jobs.admin_jobs import admin_ctx
from server.jobs.at_risk_digest import at_risk_digest_ctx
from server.jobs.consumers import consumers_ctx
from server.jobs.deadline_reminders import deadline_reminders_ctx
from server.jobs.delivery_worker import deliveries_ctx, wake_deliveries
from server.jobs.mail_transports import OutboxFileTransport, mail_transport_from
from server.jobs.mailer import Mailer
from server.jobs.metrics_sampler import metrics_sampler_ctx
from server.jobs.push_transports import PushOutboxFileTransport, push_transport_from
from server.jobs.token_cache_listener import token_cache_ctx
from server.jobs.wakeup import Broadcast
from server.keys import (
    CLOCK,
    CONSUMERS,
    DATABASE_DSN,
    ENDPOINTS,
    FILE_STORAGE,
    GOOGLE_VERIFIER,
    JWT_SECRET,
    MAILER,
    METRICS,
    MONGO_CLIENT,
    MONGO_DB,
    MONGODB_URI,
    OPENAPI_DOC,
    OUTBOX_RELAYED,
    PASSWORDS,
    PG_POOL,
    PROCESS_PROBE,
    PUSH_TRANSPORT,
    READINESS_CHECKS,
    SCHEDULER,
    SETTINGS,
)
from server.metrics import create_metrics
from server.pg_pool import open_pool
from server.realtime.setup import setup_realtime
from server.services.admin_audit import audit_consumer
from server.services.admin_metrics import ProcessProbe
from server.services.datadog_recipients import datadog_recipients_consumer
from server.services.datadog_sync import datadog_api_from
from server.services.forum_followers import thread_followers
from server.services.notification_consumer import deliveries_consumer, notifications_consumer
from server.services.passwords import Passwords
from server.settings import Settings
from server.stores.file_backends import LocalFileStorage, file_storage_from
from server.stores.google_identity import GoogleVerifier
from server.stores.migrations import apply_migrations
from server.stores.mongo_indexes import ensure_indexes

log = logging.getLogger("classconnect")


async def metrics_ctx(app: web.Application) -> AsyncIterator[None]:
    # First in, last out: every other context may report while it starts and stops.
    settings = app[SETTINGS]
    metrics = create_metrics(settings)
    if metrics.enabled:
        log.info(
            "metrics go to DogStatsD",
            extra={"agent": f"{settings.dd_agent_host}:{settings.dd_dogstatsd_port}"},
        )
    else:
        log.info("no DD_AGENT_HOST: metrics are off")
    app[METRICS] = metrics
    yield
    metrics.close()


async def embedded_servers_ctx(app: web.Application) -> AsyncIterator[None]:
    """The stores that have no URL run embedded (development). Postgres and Mongo start, and
    stop, side by side in threads: one after the other doubled `make run`'s wait."""
    settings = app[SETTINGS]
    starts: dict[str, Callable[[], tuple[Any, str]]] = {}
    if settings.database_url:
        app[DATABASE_DSN] = settings.database_url
    else:
        starts["postgres"] = partial(embedded.start_postgres, settings.data_dir)
    if settings.mongodb_url:
        app[MONGODB_URI] = settings.mongodb_url
    else:
        starts["mongo"] = partial(
            embedded.start_mongo, settings.data_dir, settings.embedded_mongo_port
        )
    results = await asyncio.gather(
        *(asyncio.to_thread(start) for start in starts.values()), return_exceptions=True
    )
    started = {n: r for n, r in zip(starts, results, strict=True) if isinstance(r, tuple)}
    stops = {"postgres": embedded.stop_postgres, "mongo": embedded.stop_mongo}

    async def stop_started() -> None:
        await asyncio.gather(
            *(asyncio.to_thread(stops[name], server) for name, (server, _) in started.items())
        )

    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:  # stop what did start, or its process outlives us
        await stop_started()
        raise failures[0]
    if "postgres" in started:
        server, dsn = started["postgres"]
        log.info("embedded Postgres started", extra={"data": str(server.pgdata), "dsn": dsn})
        app[DATABASE_DSN] = dsn
    if "mongo" in started:
        uri = started["mongo"][1]
        log.info(
            "embedded MongoDB-wire server (SecantusDB) started",
            extra={"data": str(settings.data_dir.resolve() / "mongo"), "uri": uri},
        )
        app[MONGODB_URI] = uri
    yield
    await stop_started()


async def pg_pool_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await open_pool(
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


async def file_storage_ctx(app: web.Application) -> AsyncIterator[None]:
    storage = file_storage_from(app[SETTINGS])
    if isinstance(storage, LocalFileStorage):
        log.info(
            "no SUPABASE_URL/KEY: files are stored locally", extra={"folder": str(storage.root)}
        )
    app[FILE_STORAGE] = storage
    yield
    await storage.close()


async def mailer_ctx(app: web.Application) -> AsyncIterator[None]:
    # After the pool and scheduler (it uses both), so it stops before they close.
    settings = app[SETTINGS]
    transport = mail_transport_from(settings)
    if isinstance(transport, OutboxFileTransport):
        log.info(
            "no BREVO_API_KEY: emails are written to a folder",
            extra={"folder": str(transport.directory)},
        )
    mailer = Mailer(
        pool=app[PG_POOL],
        dsn=app[DATABASE_DSN],
        clock=app[CLOCK],
        transport=transport,
        scheduler=app[SCHEDULER],
        poll_seconds=settings.mail_poll_seconds,
    )
    await mailer.start()
    app[MAILER] = mailer
    yield
    await mailer.stop(grace_seconds=settings.shutdown_timeout_seconds / 3)
    await transport.close()


async def google_verifier_ctx(app: web.Application) -> AsyncIterator[None]:
    # Its own HTTP session: Google's certificates are fetched rarely and cached in between.
    settings = app[SETTINGS]
    session = aiohttp.ClientSession()
    app[GOOGLE_VERIFIER] = GoogleVerifier(
        session, certs_url=settings.google_certs_url, client_ids=settings.google_client_ids
    )
    yield
    await session.close()


async def push_transport_ctx(app: web.Application) -> AsyncIterator[None]:
    transport = push_transport_from(app[SETTINGS])
    if isinstance(transport, PushOutboxFileTransport):
        log.info(
            "no FCM credentials: push notifications are written to a folder",
            extra={"folder": str(transport.directory)},
        )
    app[PUSH_TRANSPORT] = transport
    yield
    await transport.close()


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    app = web.Application(
        middlewares=[
            request_log_middleware(),
            metrics_middleware,
            process_probe_middleware,
            cors_middleware(settings.allowed_origins),
            error_middleware,
            body_limit_middleware,
        ],
        client_max_size=max(settings.max_body_bytes, settings.max_upload_bytes),
    )
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[JWT_SECRET] = settings.resolve_jwt_secret()
    app[READINESS_CHECKS] = {}
    app[PROCESS_PROBE] = ProcessProbe()
    app[OUTBOX_RELAYED] = Broadcast()
    # Durable consumers of the outbox, built once the stores are open (server/jobs/consumers.py).
    # The forum tells the notifications consumer who follows a thread.
    followers = {Audience.THREAD_FOLLOWERS: thread_followers}
    app[CONSUMERS] = [
        lambda app: notifications_consumer(app[MONGO_DB], audiences=followers),
        lambda app: deliveries_consumer(
            app[MONGO_DB],
            audiences=followers,
            on_deliveries=partial(wake_deliveries, app),
            grace=settings.push_grace,
            presence_window=settings.presence_window,
        ),
    ]
    if settings.audit_consumer_enabled:
        app[CONSUMERS].append(lambda app: audit_consumer(app[MONGO_DB]))
    # Without both Datadog keys, `classconnect datadog-sync` at deploy time sets the monitors'
    # recipients; the full sync catches up whenever the keys are configured.
    if (datadog := datadog_api_from(settings)) is not None:
        recipients = partial(datadog_recipients_consumer, settings=settings, api=datadog)
        app[CONSUMERS].append(lambda app: recipients(db=app[MONGO_DB]))
    app[PASSWORDS] = Passwords(
        time_cost=settings.password_hash_time_cost,
        memory_kib=settings.password_hash_memory_kib,
        parallelism=settings.password_hash_parallelism,
    )
    app.cleanup_ctx.extend(
        [
            metrics_ctx,
            embedded_servers_ctx,
            pg_pool_ctx,
            mongo_client_ctx,
            scheduler_ctx,
            token_cache_ctx,
            metrics_sampler_ctx,
            file_storage_ctx,
            mailer_ctx,
            push_transport_ctx,
            deliveries_ctx,
            google_verifier_ctx,
            deadline_reminders_ctx,
            admin_ctx,
            consumers_ctx,
            at_risk_digest_ctx,
        ]
    )
    setup_security_headers(app)
    setup_cors(app)
    setup_realtime(app)  # Socket.IO at /socket.io/; its loops start after the scheduler
    app[ENDPOINTS] = setup_routes(app)
    app[OPENAPI_DOC] = LazyDocument(partial(build_openapi, app[ENDPOINTS], version=__version__))
    return app
