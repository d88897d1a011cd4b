"""Request ids and the one access-log line per request."""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger("classconnect.access")

REQUEST_ID = web.RequestKey("request_id", str)
# Honour a caller's id only when it is short and plain, so logs cannot be forged or flooded.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_id_source() -> Callable[[], str]:
    """32 hex characters: a random half per process, a counter for the other half. Unique
    across processes like a uuid4, without a syscall and a UUID object per request (5% of a
    trivial request's CPU); request ids identify, they are not secrets."""
    prefix, counter = secrets.token_hex(8), itertools.count()
    return lambda: f"{prefix}{next(counter):016x}"


def request_log_middleware() -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """The middleware, with request ids of its own (one source per app)."""
    new_id = request_id_source()

    @web.middleware
    async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else new_id()
        request[REQUEST_ID] = request_id
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            if not response.prepared:  # streamed replies (websockets) have sent their headers
                response.headers["X-Request-ID"] = request_id
            return response
        finally:
            log.info(
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "request_id": request_id,
                },
            )

    return request_log
