"""GET /admin: the admin console, static files from server/console/ (docs/console.md).

The console is plain ES modules and CSS, committed as they run: no build step. Its page and
files carry a Content-Security-Policy that allows only this server's own scripts, styles and
connections (no inline script or style at all), `X-Frame-Options: DENY`, and
`Cache-Control: no-store` on the page; the admin API it reads says `no-store` as well
(`security_headers.py`), so no user's data stays in the browser's cache.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from aiohttp import web

from server.domain.errors import NotFound
from server.handlers.routing import RouteTable

routes = RouteTable(tag="meta")

CONSOLE = Path(__file__).resolve().parent.parent / "console"
_TYPES = {".js": "text/javascript", ".css": "text/css"}
# `connect-src 'self'` covers the /admin Socket.IO websocket on the same host (CSP level 3).
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_FRAMING = {"Content-Security-Policy": CONSOLE_CSP, "X-Frame-Options": "DENY"}


@functools.cache
def _assets() -> dict[str, tuple[bytes, str, str]]:
    """Every script and style of the console: path -> (bytes, content type, etag). Read once:
    they never change while the process runs. Only these names are served (no path walking)."""
    found = {}
    for path in sorted(CONSOLE.rglob("*")):
        if path.is_file() and path.suffix in _TYPES:
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            found[path.relative_to(CONSOLE).as_posix()] = (body, _TYPES[path.suffix], etag)
    return found


@functools.cache
def _page() -> bytes:
    return (CONSOLE / "index.html").read_bytes()


@routes.get("/admin", summary="The admin console (sign in with an admin account)", auth=False,
            raw_response=("text/html",))  # fmt: skip
async def console_page(request: web.Request) -> web.Response:
    return web.Response(
        body=_page(),
        content_type="text/html",
        charset="utf-8",
        headers={**_FRAMING, "Cache-Control": "no-store"},
    )


@routes.get("/admin/", summary="The console with a trailing slash: a redirect to /admin",
            auth=False, status=308)  # fmt: skip
async def console_slash(request: web.Request) -> web.Response:
    return web.Response(status=308, headers={"Location": "/admin"})


@routes.get(
    "/admin/{asset:.+}",
    summary="A script or style of the admin console",
    auth=False,
    raw_response=("text/javascript", "text/css"),
    errors=(404,),
)
async def console_asset(request: web.Request) -> web.Response:
    found = _assets().get(request.match_info["asset"])
    if found is None:
        raise NotFound("No such file.", code="not_found")
    body, content_type, etag = found
    # Revalidated on every load (a 304 when unchanged), so an upgraded server is never
    # paired with modules of the previous version.
    headers = {**_FRAMING, "Cache-Control": "no-cache", "ETag": etag}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)
