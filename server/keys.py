"""Typed keys for everything shared on the application. One module, so there is one list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiojobs
import asyncpg
from aiohttp import web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from server.domain.clock import Clock
from server.handlers.routing import Endpoint
from server.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
JWT_SECRET = web.AppKey("jwt_secret", str)
ENDPOINTS = web.AppKey("endpoints", list[Endpoint])
OPENAPI_DOC = web.AppKey("openapi_doc", dict[str, Any])
# Named checks /readyz runs; a subsystem that can fail on its own (e.g. Redis) adds one.
READINESS_CHECKS = web.AppKey(
    "readiness_checks", dict[str, Callable[[web.Application], Awaitable[None]]]
)

# Resolved connection strings: from settings, or from the embedded servers started for them.
DATABASE_DSN = web.AppKey("database_dsn", str)
MONGODB_URI = web.AppKey("mongodb_uri", str)

PG_POOL = web.AppKey("pg_pool", asyncpg.Pool)
MONGO_CLIENT = web.AppKey("mongo_client", AsyncMongoClient)
MONGO_DB = web.AppKey("mongo_db", AsyncDatabase)
SCHEDULER = web.AppKey("scheduler", aiojobs.Scheduler)
