"""A Brevo stand-in on 127.0.0.1: `POST /v3/smtp/email` as the transactional API speaks it.

It checks the `api-key` header and validates the body the way Brevo does (sender, to, subject,
htmlContent or textContent), answers 201 `{messageId}`, and can be told to fail the next
requests (HTTP 5xx, or hanging past the client's timeout) to exercise retries.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

API_KEY = "xkeysib-test-" + "0" * 32


@dataclass
class FakeBrevo:
    url: str = ""
    api_key: str = API_KEY
    accepted: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    # Each queued failure applies to one request: an HTTP status, or "hang" (no answer).
    failures: list[int | str] = field(default_factory=list)
    hang_seconds: float = 5.0

    def fail_next(self, *failures: int | str) -> None:
        self.failures.extend(failures)


def _bad(message: str, code: str = "missing_parameter") -> web.Response:
    return web.json_response({"code": code, "message": message}, status=400)


def _validate(body: Any) -> web.Response | None:
    if not isinstance(body, dict):
        return _bad("Invalid JSON", "bad_request")
    has_template = body.get("templateId") is not None
    sender = body.get("sender")
    if not has_template and not (isinstance(sender, dict) and sender.get("email")):
        return _bad("sender is missing")
    to = body.get("to")
    if not isinstance(to, list) or not to:
        return _bad("to is missing")
    if not all(isinstance(r, dict) and "@" in str(r.get("email", "")) for r in to):
        return _bad("email is not valid in to", "invalid_parameter")
    if not has_template and not body.get("subject"):
        return _bad("subject is missing")
    if not has_template and not (body.get("htmlContent") or body.get("textContent")):
        return _bad("htmlContent or textContent is missing")
    return None


def build_app(state: FakeBrevo) -> web.Application:
    async def send(request: web.Request) -> web.Response:
        state.requests += 1
        if request.headers.get("api-key") != state.api_key:
            return web.json_response(
                {"code": "unauthorized", "message": "Key not found"}, status=401
            )
        if request.content_type != "application/json":
            return _bad("Content-Type must be application/json", "bad_request")
        try:
            body = await request.json()
        except ValueError:
            return _bad("Invalid JSON", "bad_request")
        if state.failures:
            failure = state.failures.pop(0)
            if failure == "hang":
                await asyncio.sleep(state.hang_seconds)
                failure = 504
            return web.json_response(
                {"code": "internal_error", "message": "boom"}, status=int(failure)
            )
        if (problem := _validate(body)) is not None:
            return problem
        message_id = f"<{uuid.uuid4().hex}@smtp-relay.mailin.fr>"
        state.accepted.append({"messageId": message_id, **body})
        return web.json_response({"messageId": message_id}, status=201)

    app = web.Application()
    app.router.add_post("/v3/smtp/email", send)
    return app


@pytest.fixture
async def brevo() -> AsyncIterator[FakeBrevo]:
    state = FakeBrevo()
    server = TestServer(build_app(state), host="127.0.0.1")
    await server.start_server()
    state.url = str(server.make_url("/v3"))
    yield state
    await server.close()
