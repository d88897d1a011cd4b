"""OpenAPI 3.1, generated from the registered endpoints and their pydantic models."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from server.domain.errors import NotFound
from server.handlers.errors import ErrorResponse
from server.handlers.routing import Endpoint, RouteTable
from server.keys import OPENAPI_DOC

REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)(?::[^}]+)?}")

_ERROR_TEXT = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Rate limited",
}


def openapi_path(path: str) -> str:
    return _PATH_PARAM.sub(r"{\1}", path)


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k != "title"},
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(ep: Endpoint, refs: dict[tuple[Any, str], dict[str, Any]]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": ep.summary,
        "operationId": f"{ep.handler.__module__.rsplit('.', 1)[-1]}_{ep.handler.__name__}",
        "tags": [ep.tag],
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(ep.path)
    ]
    if ep.query is not None:
        params += _query_parameters(ep.query)
    if params:
        op["parameters"] = params
    # A route may take JSON, raw bytes (uploads), or either (e.g. a link or a file resource).
    body_content: dict[str, Any] = {}
    if ep.body is not None:
        body_content["application/json"] = {"schema": refs[(ep.body, "validation")]}
    for ctype, desc in (ep.raw_body or {}).items():
        body_content[ctype] = {
            "schema": {"type": "string", "format": "binary"},
            "x-description": desc,
        }
    if body_content:
        op["requestBody"] = {"required": True, "content": body_content}
    ok: dict[str, Any] = {"description": "Success"}
    ok_content: dict[str, Any] = {}
    if ep.response is not None:
        ok_content["application/json"] = {"schema": refs[(ep.response, "serialization")]}
    for ctype in ep.raw_response:  # alternative formats (CSV, XLSX) or files
        ok_content[ctype] = {"schema": {"type": "string", "format": "binary"}}
    if ok_content:
        ok["content"] = ok_content
    responses: dict[str, Any] = {str(status): ok for status in (ep.status, *ep.also)}
    error_ref = {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}}
    statuses = set(ep.errors)
    if ep.body is not None or ep.query is not None:
        statuses |= {400, 422}
    if ep.body is not None:
        statuses |= {413, 415}
    if ep.auth:
        statuses.add(401)
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": _ERROR_TEXT.get(status, "Error"),
            "content": error_ref,
        }
    op["responses"] = responses
    if ep.auth:
        op["security"] = [{"bearer": []}]
    return op


def build_openapi(endpoints: list[Endpoint], *, version: str) -> dict[str, Any]:
    models: set[tuple[type[BaseModel], str]] = {(ErrorResponse, "serialization")}
    for ep in endpoints:
        if ep.body is not None:
            models.add((ep.body, "validation"))
        if ep.response is not None:
            models.add((ep.response, "serialization"))
    ordered = sorted(models, key=lambda m: (m[0].__module__, m[0].__qualname__, m[1]))
    refs, defs = models_json_schema(ordered, ref_template=REF)  # type: ignore[arg-type]
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        paths.setdefault(openapi_path(ep.path), {})[ep.method.lower()] = _operation(ep, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ClassConnect API",
            "version": version,
            "description": "REST API of ClassConnect. Live updates travel over Socket.IO; "
            "see docs/realtime.md.",
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


routes = RouteTable(tag="meta")

SWAGGER_UI = Path(__file__).with_name("swagger_ui")  # vendored, see its README.md
_DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-initializer.js": "text/javascript",
    "swagger-ui.css": "text/css",
}
_DOCS_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>ClassConnect API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head><body><div id="ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/swagger-initializer.js"></script>
</body></html>"""
# Everything from this server; Swagger UI sets inline styles and uses data: images in its CSS.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@functools.cache
def _docs_asset(name: str) -> bytes:
    # Read once per process: the bundle is 1.7 MB and never changes while it runs.
    return (SWAGGER_UI / name).read_bytes()


@routes.get("/api/openapi.json", summary="This OpenAPI document", auth=False)
async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI_DOC].body, content_type="application/json")


@routes.get("/api/docs", summary="Interactive API documentation", auth=False)
async def openapi_docs(request: web.Request) -> web.Response:
    return web.Response(
        text=_DOCS_PAGE,
        content_type="text/html",
        headers={"Content-Security-Policy": DOCS_CSP},
    )


@routes.get(
    "/api/docs/{asset}",
    summary="A file of the interactive documentation (Swagger UI)",
    auth=False,
    raw_response=("text/javascript", "text/css"),
    errors=(404,),
)
async def openapi_docs_asset(request: web.Request) -> web.Response:
    name = request.match_info["asset"]
    if name not in _DOCS_ASSETS:
        raise NotFound("No such file.", code="not_found")
    return web.Response(
        body=_docs_asset(name),
        content_type=_DOCS_ASSETS[name],
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )
