"""Errors the domain raises. Each kind maps to one HTTP status in `server.handlers.errors`.

A domain error carries a stable snake_case `code` the mobile app can switch on, a human
`message`, and optional `details` (a list of JSON-able objects, e.g. which rule failed).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code: str = "domain_error"
    default_message: str = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        self.code = code or self.code
        self.message = message or self.default_message
        self.details = details or []
        super().__init__(self.message)


class InvalidInput(DomainError):
    """The input is well-formed but breaks a rule (HTTP 422)."""

    code = "invalid_input"
    default_message = "The request breaks a rule."


class Unauthenticated(DomainError):
    code = "unauthenticated"
    default_message = "Authentication is required."


class PermissionDenied(DomainError):
    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    code = "not_found"
    default_message = "Not found."


class Conflict(DomainError):
    code = "conflict"
    default_message = "The request conflicts with the current state."


class RateLimited(DomainError):
    code = "rate_limited"
    default_message = "Too many requests; try again later."

    def __init__(self, retry_after: int, message: str | None = None, *, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after))
