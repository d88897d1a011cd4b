"""Typed keys for everything shared on the application. One module, so there is one list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import aiojobs
import socketio
from aiohttp import web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from server.domain.clock import Clock
from server.handlers.routing import Endpoint, LazyDocument
from server.jobs.mailer import Mailer
from server.jobs.push_transports import PushTransport
from server.jobs.wakeup import Broadcast
from server.metrics import Metrics
from server.pg_pool import Pool
from server.services.consumers import Consumer
from server.services.passwords import Passwords
from server.services.token_cache import TokenStateCache
from server.settings import Settings
from server.stores.files import FileStorage
from server.stores.google_identity import GoogleVerifier

if TYPE_CHECKING:
    from server.jobs.delivery_worker import DeliveryWorker
    from server.realtime.hub import Hub
    from server.services.admin_metrics import ProcessProbe

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
JWT_SECRET = web.AppKey("jwt_secret", str)
TOKEN_CACHE = web.AppKey("token_cache", TokenStateCache)
ENDPOINTS = web.AppKey("endpoints", list[Endpoint])
# The endpoint behind each aiohttp route (what the request-wide middlewares look up).
ROUTE_ENDPOINTS = web.AppKey("route_endpoints", dict[web.AbstractRoute, Endpoint])
OPENAPI_DOC = web.AppKey("openapi_doc", LazyDocument)
# Named checks /readyz runs; a subsystem that can fail on its own (e.g. Redis) adds one.
READINESS_CHECKS = web.AppKey(
    "readiness_checks", dict[str, Callable[[web.Application], Awaitable[None]]]
)

# Resolved connection strings: from settings, or from the embedded servers started for them.
DATABASE_DSN = web.AppKey("database_dsn", str)
MONGODB_URI = web.AppKey("mongodb_uri", str)

PG_POOL = web.AppKey("pg_pool", Pool)
MONGO_CLIENT = web.AppKey("mongo_client", AsyncMongoClient)
MONGO_DB = web.AppKey("mongo_db", AsyncDatabase)
SCHEDULER = web.AppKey("scheduler", aiojobs.Scheduler)
# DogStatsD metrics, or a no-op when DD_AGENT_HOST is unset (server/metrics.py).
METRICS = web.AppKey("metrics", Metrics)
# Providers (local stand-ins when not configured).
FILE_STORAGE = web.AppKey("file_storage", FileStorage)
MAILER = web.AppKey("mailer", Mailer)
PUSH_TRANSPORT = web.AppKey("push_transport", PushTransport)
# Notification deliveries (email and push) from `notification_deliveries`.
DELIVERY_WORKER: web.AppKey[DeliveryWorker] = web.AppKey("delivery_worker")
# Accounts: argon2id hashing (off the loop) and Google ID-token verification (cached certs).
PASSWORDS = web.AppKey("passwords", Passwords)
GOOGLE_VERIFIER = web.AppKey("google_verifier", GoogleVerifier)
# Realtime: the Socket.IO server (built in create_app) and its per-socket delivery hub.
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)
REALTIME_HUB: web.AppKey[Hub] = web.AppKey("realtime_hub")
# Administration: this process's request window and resource sample (GET /admin/metrics).
PROCESS_PROBE: web.AppKey[ProcessProbe] = web.AppKey("process_probe")
# Durable consumers of the outbox: what each process runs (factories, called once the stores
# are open), and the signal the relay sends after committing a batch, which wakes them.
CONSUMERS = web.AppKey("consumers", list[Callable[[web.Application], Consumer]])
OUTBOX_RELAYED = web.AppKey("outbox_relayed", Broadcast)
