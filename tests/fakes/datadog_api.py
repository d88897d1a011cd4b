"""A Datadog API stand-in on 127.0.0.1: the v1 monitor and dashboard routes.

`GET/POST /api/v1/monitor`, `GET/PUT /api/v1/monitor/{id}`, `GET/POST /api/v1/dashboard` and
`GET/PUT /api/v1/dashboard/{id}`, behind the `DD-API-KEY` and `DD-APPLICATION-KEY` headers. Like
Datadog it refuses a monitor whose query threshold differs from `options.thresholds.critical`,
fills in option defaults and widget ids the caller never sent, edits only the monitor fields a
PUT names, and filters the monitor list by `monitor_tags`. Every write is recorded.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

API_KEY, APP_KEY = "dd-api-" + "1" * 25, "dd-app-" + "2" * 33
MONITOR_TYPES = {"query alert", "metric alert", "service check", "event-v2 alert", "log alert"}
OPTION_DEFAULTS = {"notify_audit": False, "silenced": {}, "new_host_delay": 300,
                   "include_tags": True, "notify_no_data": False}  # fmt: skip


@dataclass
class FakeDatadog:
    url: str = ""
    monitors: dict[int, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    down: bool = False  # an outage: every request answers 503
    refused: int = 0  # requests answered 503
    # Notified after every request, for tests waiting on what Datadog ends up holding.
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def until(self, check: Callable[[], bool], within: float = 20.0) -> None:
        async with asyncio.timeout(within), self.changed:
            await self.changed.wait_for(check)

    ids: itertools.count = field(default_factory=lambda: itertools.count(1000))


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _errors(status: int, *messages: str) -> web.Response:
    return web.json_response({"errors": list(messages)}, status=status)


def _monitor_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "Invalid JSON"
    for name in ("name", "type", "query", "message"):
        if not isinstance(body.get(name), str) or not body[name]:
            return f"The value provided for parameter '{name}' is invalid"
    if body["type"] not in MONITOR_TYPES:
        return f"Invalid monitor type: {body['type']}"
    threshold = re.search(r"[<>]=?\s*(-?[0-9.]+)\s*$", body["query"])
    critical = body.get("options", {}).get("thresholds", {}).get("critical")
    if threshold and critical is not None and float(threshold.group(1)) != float(critical):
        return (f"Alert threshold ({threshold.group(1)}) does not match that used in the payload "
                f"({critical})")  # fmt: skip
    return None


def _dashboard_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "Invalid JSON"
    if not body.get("title") or body.get("layout_type") not in ("ordered", "free"):
        return "Dashboard title and layout_type (ordered|free) are required"
    if not isinstance(body.get("widgets"), list):
        return "widgets must be a list"

    def check(widgets: list[Any]) -> str | None:
        for widget in widgets:
            definition = widget.get("definition") if isinstance(widget, dict) else None
            if not isinstance(definition, dict) or not definition.get("type"):
                return "every widget needs a definition with a type"
            if definition["type"] == "group" and (problem := check(definition["widgets"])):
                return problem
        return None

    return check(body["widgets"])


def _number_widgets(widgets: list[dict[str, Any]], ids: itertools.count) -> None:
    for widget in widgets:
        widget.setdefault("id", next(ids))
        if widget["definition"].get("type") == "group":
            _number_widgets(widget["definition"]["widgets"], ids)


def _found(table: dict[Any, dict[str, Any]], key: Any, what: str) -> dict[str, Any]:
    if key not in table:
        raise web.HTTPNotFound(text=f'{{"errors": ["{what} not found"]}}',
                               content_type="application/json")  # fmt: skip
    return table[key]


def build_app(state: FakeDatadog) -> web.Application:
    @web.middleware
    async def auth(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await answer(request, handler)
        finally:
            async with state.changed:
                state.changed.notify_all()

    async def answer(request: web.Request, handler: Any) -> web.StreamResponse:
        if state.down:
            state.refused += 1
            return _errors(503, "Service Unavailable")
        if (request.headers.get("DD-API-KEY"), request.headers.get("DD-APPLICATION-KEY")) != (
            API_KEY, APP_KEY,
        ):  # fmt: skip
            return _errors(403, "Forbidden")
        if request.method in ("POST", "PUT"):
            state.writes.append((request.method, request.path))
        return await handler(request)

    def stored_monitor(body: dict[str, Any], monitor_id: int, created: str) -> dict[str, Any]:
        monitor = {"priority": None, "tags": [], **copy.deepcopy(body)}
        monitor["options"] = {**OPTION_DEFAULTS, **monitor.get("options", {})}
        monitor.update(
            id=monitor_id, created=created, modified=_now(), overall_state="No Data",
            multi=" by " in body["query"], deleted=None, restricted_roles=None,
            creator={"email": "ops@example.test", "handle": "ops@example.test", "name": "Ops"},
        )  # fmt: skip
        return monitor

    async def list_monitors(request: web.Request) -> web.Response:
        wanted = [t for t in request.query.get("monitor_tags", "").split(",") if t]
        found = [m for m in state.monitors.values() if all(t in m["tags"] for t in wanted)]
        return web.json_response(found)

    async def create_monitor(request: web.Request) -> web.Response:
        body = await request.json()
        if problem := _monitor_problem(body):
            return _errors(400, problem)
        monitor_id = next(state.ids)
        state.monitors[monitor_id] = stored_monitor(body, monitor_id, _now())
        return web.json_response(state.monitors[monitor_id])

    def monitor_of(request: web.Request) -> dict[str, Any]:
        return _found(state.monitors, int(request.match_info["id"]), "Monitor")

    async def get_monitor(request: web.Request) -> web.Response:
        return web.json_response(monitor_of(request))

    async def update_monitor(request: web.Request) -> web.Response:
        current = monitor_of(request)
        body = await request.json()
        merged = {**current, **body}  # a PUT edits the fields it names
        if problem := _monitor_problem(merged):
            return _errors(400, problem)
        state.monitors[current["id"]] = stored_monitor(merged, current["id"], current["created"])
        return web.json_response(state.monitors[current["id"]])

    def summary(dashboard: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "title", "description", "layout_type", "url", "created_at", "modified_at",
                "author_handle", "is_read_only")  # fmt: skip
        return {k: dashboard[k] for k in keys}

    def stored_dashboard(body: dict[str, Any], dashboard_id: str, created: str) -> dict[str, Any]:
        dashboard = copy.deepcopy(body)
        _number_widgets(dashboard["widgets"], state.ids)
        dashboard.setdefault("description", None)
        dashboard.update(
            id=dashboard_id, url=f"/dashboard/{dashboard_id}/x", created_at=created,
            modified_at=_now(), author_handle="ops@example.test", is_read_only=False,
        )  # fmt: skip
        return dashboard

    async def list_dashboards(request: web.Request) -> web.Response:
        return web.json_response({"dashboards": [summary(d) for d in state.dashboards.values()]})

    async def create_dashboard(request: web.Request) -> web.Response:
        body = await request.json()
        if problem := _dashboard_problem(body):
            return _errors(400, problem)
        dashboard_id = "-".join(secrets.token_hex(2)[:3] for _ in range(3))
        state.dashboards[dashboard_id] = stored_dashboard(body, dashboard_id, _now())
        return web.json_response(state.dashboards[dashboard_id])

    def dashboard_of(request: web.Request) -> dict[str, Any]:
        return _found(state.dashboards, request.match_info["id"], "Dashboard")

    async def get_dashboard(request: web.Request) -> web.Response:
        return web.json_response(dashboard_of(request))

    async def update_dashboard(request: web.Request) -> web.Response:
        current = dashboard_of(request)
        body = await request.json()  # a dashboard PUT replaces the whole definition
        if problem := _dashboard_problem(body):
            return _errors(400, problem)
        updated = stored_dashboard(body, current["id"], current["created_at"])
        state.dashboards[current["id"]] = updated
        return web.json_response(updated)

    app = web.Application(middlewares=[auth])
    app.router.add_get("/api/v1/monitor", list_monitors)
    app.router.add_post("/api/v1/monitor", create_monitor)
    app.router.add_get("/api/v1/monitor/{id:\\d+}", get_monitor)
    app.router.add_put("/api/v1/monitor/{id:\\d+}", update_monitor)
    app.router.add_get("/api/v1/dashboard", list_dashboards)
    app.router.add_post("/api/v1/dashboard", create_dashboard)
    app.router.add_get("/api/v1/dashboard/{id}", get_dashboard)
    app.router.add_put("/api/v1/dashboard/{id}", update_dashboard)
    return app


@pytest.fixture
async def datadog_api() -> AsyncIterator[FakeDatadog]:
    state = FakeDatadog()
    server = TestServer(build_app(state), host="127.0.0.1")
    await server.start_server()
    state.url = str(server.make_url("")).rstrip("/")
    yield state
    await server.close()
