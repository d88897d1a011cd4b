"""An FCM stand-in on 127.0.0.1: Google's OAuth token endpoint for service accounts and FCM
HTTP v1 `POST /v1/projects/{project}/messages:send`.

The `fcm` fixture makes a throwaway RSA service account whose `token_uri` points here; the
token endpoint verifies the signed JWT assertion (RS256, issuer, Google's audience, scope)
like Google does, and the send endpoint accepts only tokens it issued, for the right project.

Failures are programmable like FCM's own: `failures` holds what the next sends answer, an HTTP
status (503: UNAVAILABLE) or one of FCM's error codes (`UNREGISTERED`, `INVALID_TOKEN`: the
INVALID_ARGUMENT of a malformed token, `QUOTA_EXCEEDED` and `UNAVAILABLE` with `Retry-After`,
`SENDER_ID_MISMATCH`, `THIRD_PARTY_AUTH_ERROR`); `fault_rate` fails that share of sends at random
with 429 or 503, `latency` slows every answer.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# google-auth signs its assertion for Google's token endpoint, wherever token_uri points.
AUDIENCE = "https://oauth2.googleapis.com/token"


@dataclass
class FakeFcm:
    project_id: str = "classconnect-test"
    client_email: str = "push@classconnect-test.iam.gserviceaccount.com"
    url: str = ""
    service_account_file: Path | None = None
    public_key: Any = None
    access_tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    unregistered: set[str] = field(default_factory=set)
    failures: list[int | str] = field(default_factory=list)  # what the next sends answer
    retry_after: int = 1  # seconds, on QUOTA_EXCEEDED and UNAVAILABLE
    fault_rate: float = 0.0
    latency: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(21))
    statuses: list[int] = field(default_factory=list)  # every send's answer, in order

    def sent_to(self, token: str) -> list[dict[str, Any]]:
        return [s["message"] for s in self.sent if s["message"]["token"] == token]

    @property
    def token_uri(self) -> str:
        return self.url + "/token"


def _google_error(
    status: int,
    code: str,
    message: str,
    fcm_code: str | None = None,
    retry_after: int | None = None,
):
    details = (
        [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcm_code}]
        if fcm_code
        else []
    )
    body = {"error": {"code": status, "message": message, "status": code, "details": details}}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return web.json_response(body, status=status, headers=headers)


# FCM's answer for each error code, as documented: HTTP status, Google status, message, and
# whether it carries Retry-After.
_ANSWERS: dict[int | str, tuple[int, str, str, str, bool]] = {
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is unavailable.", "UNAVAILABLE", True),
    "QUOTA_EXCEEDED": (
        429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Send requests'.",
        "QUOTA_EXCEEDED", True,
    ),
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED", False),
    "INVALID_TOKEN": (
        400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token",
        "INVALID_ARGUMENT", False,
    ),
    "SENDER_ID_MISMATCH": (
        403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH", False,
    ),
    "THIRD_PARTY_AUTH_ERROR": (
        401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service",
        "THIRD_PARTY_AUTH_ERROR", False,
    ),
}  # fmt: skip
_ANSWERS[503], _ANSWERS[429] = _ANSWERS["UNAVAILABLE"], _ANSWERS["QUOTA_EXCEEDED"]


def _named_failure(state: FakeFcm, failure: int | str) -> web.Response:
    answer = _ANSWERS.get(failure)
    if answer is None:  # any other HTTP status
        answer = (int(failure), "INTERNAL", "Internal error.", "INTERNAL", False)
    status, code, message, fcm_code, retry = answer
    return _google_error(status, code, message, fcm_code, state.retry_after if retry else None)


def build_app(state: FakeFcm) -> web.Application:
    async def token(request: web.Request) -> web.Response:
        state.token_requests += 1
        form = await request.post()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        try:
            claims = jwt.decode(
                str(form.get("assertion", "")),
                state.public_key,
                algorithms=["RS256"],
                audience=AUDIENCE,
                issuer=state.client_email,
            )
        except jwt.PyJWTError as exc:
            return web.json_response(
                {"error": "invalid_grant", "error_description": str(exc)}, status=400
            )
        if SCOPE not in str(claims.get("scope", "")).split():
            return web.json_response({"error": "invalid_scope"}, status=400)
        access = "ya29." + secrets.token_urlsafe(24)
        state.access_tokens.add(access)
        return web.json_response(
            {"access_token": access, "expires_in": 3599, "token_type": "Bearer"}
        )

    async def send(request: web.Request) -> web.Response:
        if state.latency:
            await asyncio.sleep(state.latency)
        response = await answer(request)
        state.statuses.append(response.status)
        return response

    async def answer(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in state.access_tokens:
            return _google_error(401, "UNAUTHENTICATED", "Request had invalid credentials.")
        if request.match_info["project"] != state.project_id:
            return _google_error(
                403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"
            )
        if state.failures:
            return _named_failure(state, state.failures.pop(0))
        if state.fault_rate and state.rng.random() < state.fault_rate:
            return _named_failure(state, state.rng.choice((429, 503)))
        body = await request.json()
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict) or not isinstance(message.get("token"), str):
            return _google_error(
                400, "INVALID_ARGUMENT", "message.token is required", "INVALID_ARGUMENT"
            )
        data = message.get("data", {})
        if not all(isinstance(v, str) for v in data.values()):
            return _google_error(
                400, "INVALID_ARGUMENT", "data values must be strings", "INVALID_ARGUMENT"
            )
        if message["token"] in state.unregistered:
            return _google_error(
                404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"
            )
        name = f"projects/{state.project_id}/messages/{secrets.token_hex(8)}"
        state.sent.append({"name": name, **body})
        return web.json_response({"name": name})

    app = web.Application()
    app.router.add_post("/token", token)
    app.router.add_post("/v1/projects/{project}/messages:send", send)
    return app


@pytest.fixture
async def fcm(tmp_path: Path) -> AsyncIterator[FakeFcm]:
    state = FakeFcm()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    state.public_key = key.public_key()
    server = TestServer(build_app(state), host="127.0.0.1")
    await server.start_server()
    state.url = str(server.make_url("")).rstrip("/")
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    state.service_account_file = tmp_path / "fcm-service-account.json"
    state.service_account_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": state.project_id,
                "private_key_id": "test-key-1",
                "private_key": pem,
                "client_email": state.client_email,
                "client_id": "1234567890",
                "token_uri": state.token_uri,
            }
        )
    )
    yield state
    await server.close()
