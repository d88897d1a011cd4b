"""How large a request body each route takes, refused as a 413 in the error shape before the
handler runs (when the client says its length) and while reading (when it does not).

By what the route declares (`Endpoint.max_body`), else by what it takes: a JSON body up to
`MAX_BODY_BYTES` (1 MB), an upload up to `MAX_UPLOAD_BYTES` (25 MB) plus the multipart framing,
and a route that takes no body at most `NO_BODY_BYTES` (an empty `{}` is common; megabytes are
not). Paths outside the route table (Socket.IO, unknown routes) get the JSON cap. aiohttp's
`client_max_size` (the largest of these) stays the hard stop for anything read whole.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.handlers.forms import MULTIPART_OVERHEAD
from server.handlers.io import too_large
from server.handlers.routing import Endpoint
from server.keys import ROUTE_ENDPOINTS, SETTINGS
from server.settings import Settings

NO_BODY_BYTES = 16 * 1024


def body_limit(ep: Endpoint | None, settings: Settings) -> int:
    if ep is None:
        return settings.max_body_bytes
    if ep.max_body is not None:
        return ep.max_body
    if ep.raw_body:
        return settings.max_upload_bytes + MULTIPART_OVERHEAD
    if ep.body is not None:
        return settings.max_body_bytes
    return NO_BODY_BYTES


@web.middleware
async def body_limit_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    length = request.content_length
    if length is not None and length > 0:
        ep = request.app[ROUTE_ENDPOINTS].get(request.match_info.route)
        cap = body_limit(ep, request.app[SETTINGS])
        if length > cap:
            raise too_large(cap)
    return await handler(request)
