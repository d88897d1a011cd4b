"""The server bench/audit runs: `classconnect serve` as is, except that without
BENCH_NOTIFICATIONS=1 the only durable consumer is the audit log's (when enabled).

On this VM the notifications pipeline costs ten times what a request does (SecantusDB is a
Python Mongo): draining it dwarfed and randomised every round, and it runs the same with the
audit log on or off, so by default it is left out to measure what auditing adds.
"""

from __future__ import annotations

import os

import uvloop
from aiohttp import web

from server.app import create_app
from server.heap import freeze_after_startup
from server.keys import CONSUMERS, MONGO_DB
from server.logs import configure_logging
from server.services.admin_audit import audit_consumer
from server.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    if os.environ.get("BENCH_NOTIFICATIONS") != "1":
        audit = [lambda app: audit_consumer(app[MONGO_DB])]
        app[CONSUMERS] = audit if settings.audit_consumer_enabled else []
    app.on_startup.append(freeze_after_startup)
    web.run_app(
        app, loop=uvloop.new_event_loop(), host=settings.host, port=settings.port,
        access_log=None, print=None, handler_cancellation=True,
    )  # fmt: skip


if __name__ == "__main__":
    main()
