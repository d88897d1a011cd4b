"""Request count and latency per route, method and status, to DogStatsD (see server/metrics.py).

It sits inside the access-log middleware and outside the error middleware, so the status it sees
is the one the client got, errors included.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from server.keys import METRICS
from server.metrics import HTTP_DURATION, HTTP_REQUESTS, route_tag


def _route(request: web.Request) -> str | None:
    match_info = request.match_info
    if match_info.http_exception is not None:  # no route (404) or no such method (405)
        return None
    resource = match_info.route.resource
    return resource.canonical if resource is not None else None


@web.middleware
async def metrics_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    metrics = request.app[METRICS]
    if not metrics.enabled:
        return await handler(request)
    started = time.perf_counter()
    status = 500  # what the client gets if the handler escapes the error middleware
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        tags = (
            f"route:{route_tag(_route(request))}",
            f"method:{request.method}",
            f"status:{status}",
            f"status_class:{status // 100}xx",
        )
        metrics.increment(HTTP_REQUESTS, tags=tags)
        # A websocket's "request" lasts as long as the socket: it is not a latency.
        if status != 101:
            metrics.distribution(HTTP_DURATION, (time.perf_counter() - started) * 1000, tags=tags)
