"""Request ids and the one access-log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from aiohttp import web

log = logging.getLogger("classconnect.access")

REQUEST_ID = web.RequestKey("request_id", str)
# Honour a caller's id only when it is short and plain, so logs cannot be forged or flooded.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


@web.middleware
async def request_log_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-ID", "")
    request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
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
