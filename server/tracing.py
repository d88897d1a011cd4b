"""Datadog APM traces for `classconnect serve`, only when DD_AGENT_HOST is set.

ddtrace's documented set-up for an aiohttp *server* is `ddtrace.patch(...)` for the libraries
(the aiohttp client, asyncpg, and pymongo when ddtrace supports the installed version) plus
`trace_app(app)` for the server's requests. It is called from the CLI, never on import, so
tests and tools that import the app are not traced.
The agent's trace port and sampling come from ddtrace's own variables (DD_TRACE_AGENT_PORT,
DD_TRACE_SAMPLING_RULES, DD_TRACE_ENABLED=false to keep metrics but drop traces).
"""

from __future__ import annotations

import os
import warnings

from aiohttp import web

from server import __version__
from server.settings import Settings


def enable_tracing(settings: Settings) -> None:
    """Patch the libraries; call before the app (and its pool and clients) is created."""
    # ddtrace reads its configuration from the environment when first imported. Settings may
    # come from a .env file, so copy them there; variables the deployment set win.
    wanted = {
        "DD_AGENT_HOST": settings.dd_agent_host,
        "DD_SERVICE": settings.dd_service,
        "DD_ENV": settings.dd_env,
        "DD_VERSION": __version__,
    }
    for name, value in wanted.items():
        if value:
            os.environ.setdefault(name, value)
    import ddtrace

    ddtrace.patch(aiohttp=True, asyncpg=True)
    # ddtrace 4.16's pymongo integration hooks `Server.run_operation`, which pymongo 4.18 moved
    # (DataDog/dd-trace-py#20119): with errors raised, importing pymongo would crash `serve`.
    # Without, ddtrace logs "failed to enable ddtrace support for pymongo" and Mongo calls go
    # untraced until a ddtrace release supports the installed pymongo.
    ddtrace.patch(raise_errors=False, pymongo=True)


def trace_app(app: web.Application) -> None:
    """Trace every request the app serves (a span per request, named by its route)."""
    from ddtrace.contrib.aiohttp import trace_app as ddtrace_trace_app

    with warnings.catch_warnings():
        # ddtrace keeps its per-app settings under a plain string key, which aiohttp frowns on.
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        ddtrace_trace_app(app, service=os.environ.get("DD_SERVICE", "classconnect"))
