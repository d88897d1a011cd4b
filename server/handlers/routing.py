"""Route declarations that also describe themselves.

Each handler module owns a `RouteTable`; its decorators register the aiohttp route *and* the
pydantic models of its body, query and responses, so the OpenAPI document is generated from
exactly the routes that exist (see `server.handlers.openapi`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LazyDocument:
    """A JSON document built on its first request: the OpenAPI document takes pydantic about
    a third of a second to generate, which every process start (and every test's app) would
    otherwise pay whether or not anyone asks for it."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build = build

    @functools.cached_property
    def document(self) -> dict[str, Any]:
        return self._build()

    @functools.cached_property
    def body(self) -> bytes:
        return json.dumps(self.document).encode()


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: bool = True
    # Non-JSON request bodies (uploads): content type -> description.
    raw_body: dict[str, str] | None = None
    # Non-JSON successful responses (files, CSV): content types.
    raw_response: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    # Other success statuses with the same body (e.g. 200 when a 201 route finds it exists).
    also: tuple[int, ...] = ()
    # Largest request body accepted (413 past it); None: by what the route takes (body_limits).
    max_body: int | None = None


@dataclass
class RouteTable:
    tag: str
    prefix: str = ""
    endpoints: list[Endpoint] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        auth: bool = True,
        raw_body: dict[str, str] | None = None,
        raw_response: tuple[str, ...] = (),
        errors: tuple[int, ...] = (),
        also: tuple[int, ...] = (),
        max_body: int | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(
                    method=method.upper(),
                    path=self.prefix + path,
                    handler=handler,
                    summary=summary,
                    tag=self.tag,
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    auth=auth,
                    raw_body=raw_body,
                    raw_response=raw_response,
                    errors=errors,
                    also=also,
                    max_body=max_body,
                )
            )
            return handler

        return register

    def get(self, path: str, **kw: object) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kw)  # type: ignore[arg-type]

    def post(self, path: str, **kw: object) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kw)  # type: ignore[arg-type]

    def put(self, path: str, **kw: object) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kw)  # type: ignore[arg-type]

    def patch(self, path: str, **kw: object) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **kw)  # type: ignore[arg-type]

    def delete(self, path: str, **kw: object) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kw)  # type: ignore[arg-type]


def add_tables(
    app: web.Application, tables: list[RouteTable]
) -> tuple[list[Endpoint], dict[web.AbstractRoute, Endpoint]]:
    """Register every endpoint; the endpoints, and the endpoint behind each aiohttp route."""
    endpoints: list[Endpoint] = []
    by_route: dict[web.AbstractRoute, Endpoint] = {}
    for table in tables:
        for ep in table.endpoints:
            by_route[app.router.add_route(ep.method, ep.path, ep.handler)] = ep
            endpoints.append(ep)
    return endpoints, by_route
