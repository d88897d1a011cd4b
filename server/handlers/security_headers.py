"""Headers every response carries, whichever handler (or error path, or Socket.IO) made it.

Set in `on_response_prepare`, the last moment before the headers are written, so nothing
downstream can drop them. aiohttp fills `Server` with its own and Python's versions only when
the header is absent, so naming ours hides which versions an attacker would target.

The admin API's answers are about users (profiles, audit, deliveries) and are read by the
admin console in a browser: `Cache-Control: no-store` keeps them out of its caches.
"""

from __future__ import annotations

from aiohttp import web

from server.keys import SETTINGS

SERVER_NAME = "ClassConnect"
# A year, the minimum the HSTS preload list accepts.
HSTS = "max-age=31536000; includeSubDomains"
ADMIN_API_PREFIX = "/api/v1/admin/"


async def set_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers["Server"] = SERVER_NAME
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    if request.app[SETTINGS].force_https:
        headers["Strict-Transport-Security"] = HSTS
    if request.path.startswith(ADMIN_API_PREFIX):
        headers["Cache-Control"] = "no-store"


def setup_security_headers(app: web.Application) -> None:
    app.on_response_prepare.append(set_security_headers)
