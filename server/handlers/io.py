"""Parsing requests into pydantic models and shaping replies, the same way for every handler."""

from __future__ import annotations

import json
import re
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


def lone_surrogate(field: str) -> ApiError:
    return ApiError(
        422,
        "invalid_unicode",
        "Text must be valid Unicode: a lone surrogate (U+D800-U+DFFF) was sent.",
        [{"field": field}],
    )


# NUL: Postgres refuses it in text. A lone surrogate (JSON allows "\ud800" unpaired) is not
# Unicode text at all: encoding it to UTF-8 for Postgres or BSON for Mongo fails deep inside a
# use case, mid-transaction. Both are refused here, once, for every route.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _bad_text(data: Any) -> tuple[str, str] | None:
    """Where the first string (value or key) holding a NUL or a lone surrogate is, as
    (`a.0.b`, the character); None if nowhere. Iterative: the body may be nested as deep as
    the JSON parser allowed."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if found := _BAD_TEXT.search(value):
                return ".".join(path), found.group()
        elif isinstance(value, dict):
            for key, item in value.items():
                if found := _BAD_TEXT.search(key):
                    return ".".join((*path, key)), found.group()
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, str(i))) for i, item in enumerate(value))
    return None


def refuse_bad_text(data: Any, where: str) -> None:
    if (found := _bad_text(data)) is not None:
        path, char = found
        field = ".".join(p for p in (where, path) if p)
        raise nul_character(field) if char == "\x00" else lone_surrogate(field)


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
    refuse_bad_text(data, "body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, "body") from None


def read_query(request: web.Request, model: type[M]) -> M:
    params: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        params[key] = values if len(values) > 1 else values[0]
    refuse_bad_text(params, "query")
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
