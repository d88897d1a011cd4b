"""A Brevo stand-in on 127.0.0.1: `POST /v3/smtp/email` as the transactional API speaks it.

It checks the `api-key` header and validates the body the way Brevo does (sender, to, subject,
htmlContent or textContent; `messageVersions` with at most 2,000 recipients in all and 99 per
version), answers 201 `{messageId}` (`{messageIds}` for versions), and drops a request whose
`headers.idempotencyKey` it has already accepted (answering as the first time), like Brevo.

Failures are programmable: `fail_next(400, 401, 429, 503, "hang")` for the next requests (429
carries Brevo's `x-sib-ratelimit-*` headers), `fault_rate` fails that share of requests at
random with 429 or 503, and `latency` slows every answer. `delivered` lists every email that
reached a recipient (one entry per version), for counting duplicates.
"""

from __future__ import annotations

import asyncio
import random
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
    fault_rate: float = 0.0  # share of requests failed at random with 429 or 503
    latency: float = 0.0  # seconds before each answer
    rate_limit_reset: int = 2  # x-sib-ratelimit-reset on a 429: seconds until the window
    rng: random.Random = field(default_factory=lambda: random.Random(12))
    delivered: list[dict[str, Any]] = field(default_factory=list)  # one per recipient email
    idempotent: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> first answer
    replays: int = 0  # requests dropped because their idempotency key was seen
    statuses: list[int] = field(default_factory=list)  # every answer's status, in order

    def fail_next(self, *failures: int | str) -> None:
        self.failures.extend(failures)

    def delivered_to(self, address: str) -> list[dict[str, Any]]:
        return [d for d in self.delivered if d["to"] == address]


def _bad(message: str, code: str = "missing_parameter") -> web.Response:
    return web.json_response({"code": code, "message": message}, status=400)


def _bad_recipients(to: Any) -> web.Response | None:
    if not isinstance(to, list) or not to:
        return _bad("to is missing")
    if not all(isinstance(r, dict) and "@" in str(r.get("email", "")) for r in to):
        return _bad("email is not valid in to", "invalid_parameter")
    return None


def _validate(body: Any) -> web.Response | None:
    if not isinstance(body, dict):
        return _bad("Invalid JSON", "bad_request")
    has_template = body.get("templateId") is not None
    sender = body.get("sender")
    if not has_template and not (isinstance(sender, dict) and sender.get("email")):
        return _bad("sender is missing")
    versions = body.get("messageVersions")
    if versions is not None:
        if not isinstance(versions, list) or not versions:
            return _bad("messageVersions is empty", "invalid_parameter")
        for version in versions:
            if (problem := _bad_recipients(version.get("to"))) is not None:
                return problem
            if len(version["to"]) > 99:
                return _bad("at most 99 recipients per version", "invalid_parameter")
        if sum(len(v["to"]) for v in versions) > 2000:
            return _bad("at most 2000 recipients per request", "invalid_parameter")
    elif (problem := _bad_recipients(body.get("to"))) is not None:
        return problem
    if not has_template and not body.get("subject"):
        return _bad("subject is missing")
    if not has_template and not (body.get("htmlContent") or body.get("textContent")):
        return _bad("htmlContent or textContent is missing")
    return None


def _emails_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """What each recipient receives: a version's fields over the common ones."""
    common = {k: body.get(k) for k in ("subject", "htmlContent", "textContent")}
    versions = body.get("messageVersions") or [{"to": body["to"]}]
    return [
        {**common, **{k: v[k] for k in common if v.get(k)}, "to": r["email"]}
        for v in versions
        for r in v["to"]
    ]


def _failure(state: FakeBrevo, failure: int) -> web.Response:
    headers = {}
    if failure == 429:
        headers = {
            "x-sib-ratelimit-limit": "10",
            "x-sib-ratelimit-remaining": "0",
            "x-sib-ratelimit-reset": str(state.rate_limit_reset),
        }
        body = {"code": "too_many_requests", "message": "Too many requests"}
    elif failure == 400:
        body = {"code": "invalid_parameter", "message": "email is not valid"}
    elif failure == 401:
        body = {"code": "unauthorized", "message": "Key not found"}
    else:
        body = {"code": "internal_error", "message": "boom"}
    return web.json_response(body, status=failure, headers=headers)


def build_app(state: FakeBrevo) -> web.Application:
    async def send(request: web.Request) -> web.Response:
        response = await answer(request)
        state.statuses.append(response.status)
        return response

    async def answer(request: web.Request) -> web.Response:
        state.requests += 1
        if state.latency:
            await asyncio.sleep(state.latency)
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
            return _failure(state, int(failure))
        if state.fault_rate and state.rng.random() < state.fault_rate:
            return _failure(state, state.rng.choice((429, 503)))
        if (problem := _validate(body)) is not None:
            return problem
        key = (body.get("headers") or {}).get("idempotencyKey")
        if key is not None and key in state.idempotent:
            state.replays += 1
            return web.json_response(state.idempotent[key], status=201)
        emails = _emails_of(body)
        ids = [f"<{uuid.uuid4().hex}@smtp-relay.mailin.fr>" for _ in emails]
        reply: dict[str, Any] = (
            {"messageIds": ids} if body.get("messageVersions") else {"messageId": ids[0]}
        )
        state.accepted.append({"messageId": ids[0], **body})
        state.delivered.extend({**e, "messageId": i} for e, i in zip(emails, ids, strict=True))
        if key is not None:
            state.idempotent[key] = reply
        return web.json_response(reply, status=201)

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
