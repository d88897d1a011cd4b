"""The one error model: every failure leaves as `{"error": {"code", "message", "details"}}`.

`error_middleware` turns domain errors, aiohttp's own HTTP exceptions (unknown route, wrong
method, body too large) and unexpected exceptions into that shape, so no handler ever returns
an HTML page or leaks a traceback.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from server.domain import errors as domain

log = logging.getLogger("classconnect.errors")


class ErrorBody(BaseModel):
    code: str = Field(description="Stable snake_case code the client can switch on.")
    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """An HTTP-level failure raised by the handler layer (bad JSON, wrong content type...)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


_DOMAIN_STATUS: list[tuple[type[domain.DomainError], int]] = [
    (domain.InvalidInput, 422),
    (domain.Unauthenticated, 401),
    (domain.PermissionDenied, 403),
    (domain.NotFound, 404),
    (domain.Conflict, 409),
    (domain.RateLimited, 429),
]

# aiohttp raises these itself (router, body cap); give each a stable code.
_HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


# An error body stays small whatever the request: 20,000 unknown keys once made a 1.4 MB reply.
MAX_DETAILS = 50
MAX_DETAIL_TEXT = 200


def _short(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if len(value) > MAX_DETAIL_TEXT:
        value = value[:MAX_DETAIL_TEXT] + "…"
    # A detail may echo a client's key, and JSON cannot carry a lone surrogate: spell it out.
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def capped_details(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first MAX_DETAILS entries (long texts cut), then one saying how many were left out."""
    kept = [{k: _short(v) for k, v in d.items()} for d in details[:MAX_DETAILS]]
    if len(details) > MAX_DETAILS:
        omitted = len(details) - MAX_DETAILS
        kept.append({"omitted": omitted, "message": f"{omitted} more problems not listed."})
    return kept


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = ErrorResponse(
        error=ErrorBody(code=code, message=message, details=capped_details(details or []))
    )
    return web.Response(
        status=status,
        body=body.model_dump_json(),
        content_type="application/json",
        headers=headers,
    )


def domain_error_response(exc: domain.DomainError) -> web.Response:
    status = next((s for kind, s in _DOMAIN_STATUS if isinstance(exc, kind)), 400)
    headers = {}
    if isinstance(exc, domain.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(status, exc.code, exc.message, exc.details, headers)


def _http_exception_response(exc: web.HTTPException) -> web.StreamResponse:
    if exc.status < 400:
        return exc  # redirects and the like pass through untouched
    code = _HTTP_CODES.get(exc.status, "http_error")
    headers = {}
    if exc.status == 405 and "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    message = exc.reason or "Request failed."
    if exc.status == 404:
        message = "No such resource."
    elif exc.status == 413:
        message = "The request body is larger than allowed."
    return error_response(exc.status, code, message, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
    except domain.DomainError as exc:
        return domain_error_response(exc)
    except web.HTTPException as exc:
        return _http_exception_response(exc)
    except Exception:
        error_id = uuid.uuid4().hex
        log.exception(
            "unhandled error",
            extra={"error_id": error_id, "method": request.method, "path": request.path},
        )
        return error_response(
            500,
            "internal_error",
            "Something went wrong on our side. Quote the error id if you report it.",
            details=[{"error_id": error_id}],
        )
