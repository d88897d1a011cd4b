"""/api/v1/admin/metrics and /api/v1/admin/deliveries, and the middleware that times every
request for the metrics' request rate and p95."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from aiohttp import web

from server.domain.admin_metrics import DeliveryPage, DeliveryQuery, MetricsRead
from server.handlers.admin_context import require_admin
from server.handlers.io import json_response, read_query
from server.handlers.routing import RouteTable
from server.keys import CLOCK, MONGO_DB, PG_POOL, PROCESS_PROBE, REALTIME_HUB, SETTINGS
from server.services import admin_metrics

routes = RouteTable(tag="admin", prefix="/api/v1/admin")


@web.middleware
async def process_probe_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    if response.status != 101:  # a websocket's "request" lasts as long as the socket
        request.app[PROCESS_PROBE].record((time.perf_counter() - started) * 1000)
    return response


@routes.get(
    "/metrics",
    summary="Live sockets, request rate and p95, deliveries, relay lag, per-process CPU/memory",
    response=MetricsRead,
    errors=(403,),
)
async def metrics(request: web.Request) -> web.Response:
    await require_admin(request)
    app = request.app
    hub = app.get(REALTIME_HUB)
    figures = await admin_metrics.metrics(
        pool=app[PG_POOL],
        db=app[MONGO_DB],
        now=app[CLOCK].now(),
        probe=app[PROCESS_PROBE],
        sockets=len(hub.clients) if hub is not None else 0,
        fresh_for=timedelta(seconds=3 * app[SETTINGS].admin_sample_seconds),
    )
    return json_response(figures)


@routes.get(
    "/deliveries",
    summary="The notification delivery log, newest first",
    query=DeliveryQuery,
    response=DeliveryPage,
    errors=(403,),
)
async def deliveries(request: web.Request) -> web.Response:
    await require_admin(request)
    query = read_query(request, DeliveryQuery)
    return json_response(await admin_metrics.deliveries(db=request.app[MONGO_DB], query=query))
