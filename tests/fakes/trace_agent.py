"""A Datadog trace-agent stand-in on 127.0.0.1: it accepts what ddtrace sends and keeps it.

ddtrace PUTs msgpack payloads to `/v0.5/traces` (or `/v0.4/traces`) with an
`X-Datadog-Trace-Count` header and expects `{"rate_by_service": {...}}` back. Span names,
services and resources are msgpack strings, so their bytes appear verbatim in the payload;
the tests look for them there rather than decoding msgpack.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


@dataclass
class FakeTraceAgent:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def trace_payloads(self) -> list[Received]:
        return [r for r in self.received if r.path in ("/v0.4/traces", "/v0.5/traces")]

    def traces_contain(self, *needles: bytes) -> bool:
        body = b"".join(r.body for r in self.trace_payloads)
        return all(n in body for n in needles)

    async def wait_for(self, *needles: bytes, within: float = 15.0) -> None:
        """Until trace payloads received so far contain every needle."""
        async with asyncio.timeout(within):
            while not self.traces_contain(*needles):
                self.arrived.clear()
                await self.arrived.wait()


def _headers(request: web.Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


def build_app(agent: FakeTraceAgent) -> web.Application:
    async def traces(request: web.Request) -> web.Response:
        body = await request.read()
        agent.received.append(Received(request.method, request.path, _headers(request), body))
        agent.arrived.set()
        return web.json_response({"rate_by_service": {"service:,env:": 1.0}})

    async def info(request: web.Request) -> web.Response:
        return web.json_response(
            {"version": "7.60.0", "endpoints": ["/v0.4/traces", "/v0.5/traces"]}
        )

    async def anything(request: web.Request) -> web.Response:
        body = await request.read()
        agent.received.append(Received(request.method, request.path, _headers(request), body))
        return web.Response(status=404)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("PUT", "/v0.4/traces", traces)
    app.router.add_route("PUT", "/v0.5/traces", traces)
    app.router.add_route("POST", "/v0.4/traces", traces)
    app.router.add_route("POST", "/v0.5/traces", traces)
    app.router.add_get("/info", info)
    app.router.add_route("*", "/{tail:.*}", anything)
    return app


@pytest.fixture
async def fake_trace_agent() -> AsyncIterator[FakeTraceAgent]:
    agent = FakeTraceAgent()
    server = TestServer(build_app(agent), host="127.0.0.1")
    await server.start_server()
    agent.port = server.port
    yield agent
    await server.close()
