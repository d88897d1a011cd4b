"""Where push notifications go: FCM HTTP v1 through pyfcm, or a folder of JSON files.

Only the transports live here; the notifications feature queues pushes and decides what to do
with each `PushResult` (retry later, or forget a token FCM no longer knows).

pyfcm's public `async_notify_multiple_devices` runs its aiohttp sender on a *new* event loop
(`asyncio.new_event_loop().run_until_complete`, never closed), which cannot run inside our loop.
So `FcmTransport` drives the same pieces directly: pyfcm's `parse_payload` builds each message,
`request_headers` gets the OAuth token from the service account (google-auth, blocking: run in
a thread), and pyfcm's async sender `pyfcm.async_fcm.send_request` posts them concurrently on
our loop. The endpoint base is pyfcm's `FCM_END_POINT_BASE`, set per instance from
FCM_BASE_URL; the OAuth endpoint is the service account's own `token_uri`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pyfcm import FCMNotification
from pyfcm.async_fcm import send_request

from server.atomic_files import write_atomically
from server.settings import Settings

# FCM statuses/codes worth another try later; anything else is final for that message.
_TRANSIENT = {"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED"}
_UNREGISTERED = {"UNREGISTERED", "NOT_FOUND"}


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
    unregistered: bool = False  # the token is dead: stop sending to it

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
        headers = await asyncio.to_thread(self._fcm.request_headers)
        endpoint = await asyncio.to_thread(lambda: self._fcm.fcm_end_point)
        # pyfcm's own async sender, one request per message; unlike its fetch_tasks, one
        # failing request (network, non-JSON 502 page) must not sink the others.
        replies = await asyncio.gather(
            *(
                send_request(end_point=endpoint, headers=headers, payload=p, timeout=self.timeout)
                for p in payloads
            ),
            return_exceptions=True,
        )
        return [_result(m.token, reply) for m, reply in zip(messages, replies, strict=True)]

    async def close(self) -> None:
        return None


def _result(token: str, reply: Any) -> PushResult:
    if isinstance(reply, BaseException):
        if not isinstance(reply, Exception):
            raise reply  # cancellation and friends are not delivery failures
        return PushResult(token=token, error=f"{type(reply).__name__}: {reply}", retry=True)
    if isinstance(reply, dict) and isinstance(reply.get("name"), str):
        return PushResult(token=token, message_id=reply["name"])
    error = reply.get("error", {}) if isinstance(reply, dict) else {}
    status = str(error.get("status", "UNKNOWN"))
    codes = {d.get("errorCode") for d in error.get("details", []) if isinstance(d, dict)} - {None}
    code = next(iter(codes), status)
    return PushResult(
        token=token,
        error=f"{code}: {error.get('message', '')}".strip(),
        retry=bool({status, code} & _TRANSIENT),
        unregistered=bool({status, code} & _UNREGISTERED),
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
