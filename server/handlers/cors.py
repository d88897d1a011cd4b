"""Cross-origin requests over HTTP: only from `ALLOWED_ORIGINS` and the server's own origin.

The same rule as the Socket.IO handshake (`server/realtime/origins.py`, reused here): a request
without `Origin` is not a browser's (the mobile app, scripts) and is not checked; one with an
`Origin` that is neither configured nor this server's is refused outright with
`403 origin_not_allowed`, before any handler runs, so a page on another site cannot even make
the server act (a missing CORS header would only stop it from reading the answer). None is
configured by default: the mobile app needs no CORS and the admin console is same-origin.

An allowed origin gets `Access-Control-Allow-Origin` naming it (never `*`, never credentials:
tokens travel in `Authorization`, not in cookies), and a preflight (`OPTIONS` with
`Access-Control-Request-Method`) is answered here with the route's methods and the headers the
API reads. Socket.IO's path is left to Engine.IO, which applies the same check itself.
"""

from __future__ import annotations

from typing import Any

from aiohttp import hdrs, web

from server.handlers.errors import error_response
from server.realtime.origins import origin_check

# What the API reads from a request and what a browser may read from an answer.
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID")
EXPOSED_HEADERS = ("Retry-After", "X-Request-ID", "Content-Disposition")
PREFLIGHT_MAX_AGE = "600"
SOCKETIO_PATH = "/socket.io/"


def _refused(origin: str) -> web.Response:
    return error_response(
        403,
        "origin_not_allowed",
        "Requests from this origin are not allowed.",
        [{"origin": origin}],
    )


def _route_methods(request: web.Request) -> list[str] | None:
    """The methods the requested path answers (None: no such path)."""
    exc = request.match_info.http_exception
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return sorted(exc.allowed_methods)
    if exc is not None:
        return None
    return [request.match_info.route.method]


def _preflight(request: web.Request, origin: str) -> web.StreamResponse:
    methods = _route_methods(request)
    if methods is None:
        return error_response(404, "not_found", "No such resource.")
    asked = request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_HEADERS, "")
    allowed = {h.lower() for h in ALLOWED_HEADERS}
    names = [h.strip() for h in asked.split(",") if h.strip()]
    unknown = [h for h in names if h.lower() not in allowed]
    if unknown:
        return error_response(
            403,
            "header_not_allowed",
            "The request asks to send headers the API does not take.",
            [{"headers": unknown[:10]}],
        )
    return web.Response(
        status=204,
        headers={
            hdrs.ACCESS_CONTROL_ALLOW_ORIGIN: origin,
            hdrs.ACCESS_CONTROL_ALLOW_METHODS: ", ".join(methods),
            hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ", ".join(ALLOWED_HEADERS),
            hdrs.ACCESS_CONTROL_MAX_AGE: PREFLIGHT_MAX_AGE,
            hdrs.VARY: "Origin",
        },
    )


_ORIGIN_KEY = web.RequestKey("cors_origin", str)


def cors_middleware(allowed_origins: list[str]) -> Any:
    check = origin_check(allowed_origins)

    @web.middleware
    async def cors(request: web.Request, handler: Any) -> web.StreamResponse:
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None or request.path.startswith(SOCKETIO_PATH):
            return await handler(request)
        if not check(origin, {"HTTP_HOST": request.host}):
            return _refused(origin)
        if request.method == "OPTIONS" and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers:
            return _preflight(request, origin)
        request[_ORIGIN_KEY] = origin  # named on the answer, streamed or not (below)
        return await handler(request)

    return cors


async def _name_origin(request: web.Request, response: web.StreamResponse) -> None:
    if (origin := request.get(_ORIGIN_KEY)) is not None:
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
        response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = ", ".join(EXPOSED_HEADERS)
        response.headers.add(hdrs.VARY, "Origin")


def setup_cors(app: web.Application) -> None:
    """The middleware goes in `create_app`'s list, outside the error middleware, so that error
    answers to an allowed origin are readable too; the header is set as the answer starts."""
    app.on_response_prepare.append(_name_origin)
