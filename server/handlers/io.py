"""Parsing requests into pydantic models and shaping replies, the same way for every handler."""

from __future__ import annotations

import json
import uuid
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from server.handlers.errors import ApiError
from server.keys import CLOCK, PG_POOL, SETTINGS

M = TypeVar("M", bound=BaseModel)


def validation_details(exc: ValidationError, where: str) -> list[dict[str, Any]]:
    """Field paths like `body.location.lat`, with pydantic's message and error type."""
    details = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = ".".join(str(part) for part in (where, *err["loc"]))
        details.append({"field": loc, "message": err["msg"], "type": err["type"]})
    return details


def validation_error(exc: ValidationError, where: str) -> ApiError:
    return ApiError(
        422, "validation_failed", "The request is not valid.", validation_details(exc, where)
    )


def too_large(cap: int) -> ApiError:
    return ApiError(
        413, "payload_too_large", f"The body is larger than {cap} bytes.", [{"max_bytes": cap}]
    )


def nul_character(field: str) -> ApiError:
    return ApiError(
        422,
        "nul_character",
        "Text may not contain the NUL character (U+0000).",
        [{"field": field}],
    )


def _nul_path(data: Any) -> str | None:
    """Where the first string (value or key) holding a NUL is, as `a.0.b`; None if nowhere.
    Postgres refuses NUL in text, so it is refused here, once, for every route. Iterative:
    the body may be nested as deep as the JSON parser allowed."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return ".".join(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return ".".join((*path, key))
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, str(i))) for i, item in enumerate(value))
    return None


def refuse_nul(data: Any, where: str) -> None:
    if (path := _nul_path(data)) is not None:
        raise nul_character(".".join(p for p in (where, path) if p))


async def read_capped(request: web.Request, cap: int) -> bytes:
    """The raw body, refusing (413) anything over `cap` without buffering more than cap+1:
    a chunked body has no Content-Length to refuse it by before reading."""
    if request.content_length is not None and request.content_length > cap:
        raise too_large(cap)
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > cap:
            raise too_large(cap)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: web.Request, model: type[M]) -> M:
    if request.content_type != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send the body as application/json.",
            [{"content_type": request.content_type}],
        )
    raw = await read_capped(request, request.app[SETTINGS].max_body_bytes)
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"The body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "malformed_json", "The body is nested too deeply.") from None
    refuse_nul(data, "body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, "body") from None


def read_query(request: web.Request, model: type[M]) -> M:
    params: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        params[key] = values if len(values) > 1 else values[0]
    refuse_nul(params, "query")
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise validation_error(exc, "query") from None


def path_uuid(request: web.Request, name: str, *, not_found_code: str = "not_found") -> uuid.UUID:
    """A malformed id cannot name anything, so it is a 404 like an unknown one."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise ApiError(404, not_found_code, "No such resource.") from None


def use_case_deps(request: web.Request) -> dict[str, Any]:
    """The keyword arguments most use cases take: the Postgres pool and the clock."""
    return {"pool": request.app[PG_POOL], "clock": request.app[CLOCK]}


def json_response(model: BaseModel, status: int = 200, **kw: Any) -> web.Response:
    return web.Response(
        status=status, body=model.model_dump_json(), content_type="application/json", **kw
    )
