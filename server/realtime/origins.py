"""Which browser origins may open a Socket.IO connection.

A browser sends `Origin` on every websocket handshake and cross-origin request, and lets any page
open a websocket to any host: without this check, a page on another site could talk to the
server with whatever the browser holds for it. Allowed: the origins in `ALLOWED_ORIGINS` and the
server's own (the `Host` the request was sent to: the admin console served by this process).
Requests without `Origin` (the mobile app, server-to-server clients) are not browsers' and are
not checked here; tokens gate them. HTTP uses the same check (`server/handlers/cors.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit


def origin_check(allowed: Iterable[str]) -> Callable[[str | None, dict[str, Any]], bool]:
    """An Engine.IO `cors_allowed_origins` callable: (origin, WSGI-style environ) -> allowed."""
    configured = frozenset(allowed)

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        if not origin:
            return False  # nothing to allow: no CORS headers for a request without Origin
        origin = origin.lower()
        if origin in configured:
            return True
        parts = urlsplit(origin)
        host = str(environ.get("HTTP_HOST", "")).lower()
        return parts.scheme in ("http", "https") and bool(host) and parts.netloc == host

    return check
