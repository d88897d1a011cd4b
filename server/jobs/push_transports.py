"""Where push notifications go: FCM HTTP v1 through pyfcm, or a folder of JSON files.

Only the transports live here; the notification deliveries decide what to do with each
`PushResult` (retry later, forget a token FCM no longer knows, stop on a configuration error).

pyfcm's public `async_notify_multiple_devices` runs its aiohttp sender on a *new* event loop
(`asyncio.new_event_loop().run_until_complete`, never closed), which cannot run inside our loop,
and its async `send_request` returns only the JSON body, so FCM's `Retry-After` header would be
lost. So `FcmTransport` drives pyfcm's pieces and posts itself: pyfcm's `parse_payload` builds
each message, `request_headers` gets the OAuth token from the service account (google-auth,
blocking: run in a thread), and one aiohttp session posts them concurrently on our loop. The
endpoint base is pyfcm's `FCM_END_POINT_BASE`, set per instance from FCM_BASE_URL; the OAuth
endpoint is the service account's own `token_uri`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from pyfcm import FCMNotification

from server.atomic_files import write_atomically
from server.settings import Settings

# FCM statuses/codes worth another try later; anything else is final for that message.
_TRANSIENT = {"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED"}
_UNREGISTERED = {"UNREGISTERED", "NOT_FOUND"}
# The project or its APNs/web credentials are wrong: no message will go until someone fixes
# the configuration, so retrying each one would only be a storm.
_CONFIGURATION = {"SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR"}


@dataclass(frozen=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class PushResult:
    token: str
    message_id: str | None = None
    error: str | None = None
    retry: bool = False  # a temporary failure: send again later
    unregistered: bool = False  # the token is dead (or never was one): forget it
    configuration: bool = False  # our FCM setup is wrong: final, and worth one log line
    retry_after: float | None = None  # seconds FCM asked us to wait (Retry-After)

    @property
    def ok(self) -> bool:
        return self.error is None


class PushTransport(Protocol):
    name: str

    async def send(self, messages: list[PushMessage]) -> list[PushResult]:
        """One result per message, in order. Raises only when nothing could be tried."""
        ...

    async def close(self) -> None: ...


class PushOutboxFileTransport:
    """Writes each push as `<dir>/<time>-<id>.json` (no FCM credentials: development, tests)."""

    name = "push-outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, messages: list[PushMessage]) -> list[PushResult]:
        await asyncio.to_thread(self._write_all, messages)
        return [PushResult(token=m.token, message_id=m.id) for m in messages]

    def _write_all(self, messages: list[PushMessage]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for m in messages:
            body = {"id": m.id, "token": m.token, "title": m.title, "body": m.body, "data": m.data}
            name = f"{_now_ns():020d}-{m.id}.json"
            write_atomically(self.directory / name, json.dumps(body, indent=2).encode())

    async def close(self) -> None:
        return None


def _now_ns() -> int:
    return time.time_ns()  # file order only; domain time stays with the Clock


class FcmTransport:
    name = "fcm"

    def __init__(
        self,
        *,
        project_id: str,
        service_account_file: Path,
        base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._fcm = FCMNotification(
            service_account_file=str(service_account_file), project_id=project_id
        )
        if base_url:
            self._fcm.FCM_END_POINT_BASE = base_url.rstrip("/") + "/v1/projects"
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        # google-auth's credentials are not safe to refresh from two threads at once (one of
        # them reads a token still None): one refresh at a time.
        self._auth = asyncio.Lock()

    @property
    def endpoint(self) -> str:
        return self._fcm.fcm_end_point

    async def send(self, messages: list[PushMessage]) -> list[PushResult]:
        if not messages:
            return []
        payloads = [
            self._fcm.parse_payload(
                fcm_token=m.token,
                notification_title=m.title,
                notification_body=m.body,
                data_payload=m.data or None,
            )
            for m in messages
        ]
        # google-auth's refresh is blocking I/O (the service account's token endpoint).
        async with self._auth:
            headers = await asyncio.to_thread(self._fcm.request_headers)
            endpoint = await asyncio.to_thread(lambda: self._fcm.fcm_end_point)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        # One request per message (FCM v1 has no batch); one failing request (network,
        # non-JSON 502 page) must not sink the others.
        replies = await asyncio.gather(
            *(self._post(endpoint, headers, p) for p in payloads), return_exceptions=True
        )
        return [_result(m.token, reply) for m, reply in zip(messages, replies, strict=True)]

    async def _post(
        self, endpoint: str, headers: dict[str, str], payload: bytes
    ) -> tuple[Any, float | None]:
        assert self._session is not None
        async with self._session.post(endpoint, data=payload, headers=headers) as res:
            body = json.loads(await res.text())
            return body, _seconds(res.headers.get("Retry-After"))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: rare from FCM; the backoff applies instead


def _result(token: str, reply: Any) -> PushResult:
    if isinstance(reply, BaseException):
        if not isinstance(reply, Exception):
            raise reply  # cancellation and friends are not delivery failures
        return PushResult(token=token, error=f"{type(reply).__name__}: {reply}", retry=True)
    body, retry_after = reply
    if isinstance(body, dict) and isinstance(body.get("name"), str):
        return PushResult(token=token, message_id=body["name"])
    error = body.get("error", {}) if isinstance(body, dict) else {}
    status = str(error.get("status", "UNKNOWN"))
    message = str(error.get("message", ""))
    codes = {d.get("errorCode") for d in error.get("details", []) if isinstance(d, dict)} - {None}
    code = next(iter(codes), status)
    # FCM answers a malformed token with INVALID_ARGUMENT and this message, not UNREGISTERED.
    bad_token = code == "INVALID_ARGUMENT" and "not a valid fcm registration token" in (
        message.lower()
    )
    configuration = bool({status, code} & _CONFIGURATION)
    # A plain UNAUTHENTICATED is our OAuth token expiring: the next try fetches a new one.
    retry = not configuration and (bool({status, code} & _TRANSIENT) or status == "UNAUTHENTICATED")
    return PushResult(
        token=token,
        error=f"{code}: {message}".strip(),
        retry=retry,
        unregistered=bad_token or bool({status, code} & _UNREGISTERED),
        configuration=configuration,
        retry_after=retry_after if retry else None,
    )


def push_transport_from(settings: Settings) -> PushTransport:
    """FCM when a project and service account are configured, else DATA_DIR/push-outbox."""
    if settings.fcm_project_id and settings.fcm_service_account_file:
        return FcmTransport(
            project_id=settings.fcm_project_id,
            service_account_file=settings.fcm_service_account_file,
            base_url=settings.fcm_base_url,
        )
    return PushOutboxFileTransport(settings.data_dir.resolve() / "push-outbox")
