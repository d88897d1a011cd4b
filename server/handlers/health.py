"""Kubernetes probes: /healthz (the process answers) and /readyz (its stores answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel

from server.handlers.errors import error_response
from server.handlers.io import json_response
from server.handlers.routing import RouteTable
from server.keys import MONGO_DB, PG_POOL, READINESS_CHECKS
from server.stores.health import ping_mongo, ping_postgres

routes = RouteTable(tag="health")
CHECK_TIMEOUT_SECONDS = 2.0

ReadinessCheck = Callable[[web.Application], Awaitable[None]]


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


async def postgres_ready(app: web.Application) -> None:
    await ping_postgres(app[PG_POOL])


async def mongo_ready(app: web.Application) -> None:
    await ping_mongo(app[MONGO_DB])


@routes.get("/healthz", summary="The process answers", response=Health, auth=False)
async def healthz(request: web.Request) -> web.Response:
    return json_response(Health(status="ok"))


async def _run(check: ReadinessCheck, app: web.Application) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await check(app)
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        return f"down: {type(exc).__name__}"
    return "ok"


@routes.get(
    "/readyz",
    summary="Postgres, Mongo and the rest answer",
    response=Readiness,
    auth=False,
    errors=(503,),
)
async def readyz(request: web.Request) -> web.Response:
    checks = request.app[READINESS_CHECKS]
    names = list(checks)
    results = await asyncio.gather(*(_run(checks[n], request.app) for n in names))
    status = dict(zip(names, results, strict=True))
    failed = [{"check": n, "status": s} for n, s in status.items() if s != "ok"]
    if failed:
        return error_response(503, "not_ready", "Some dependencies do not answer.", failed)
    return json_response(Readiness(status="ok", checks=status))
