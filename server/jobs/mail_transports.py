"""Where rendered emails go: Brevo's transactional API, or a folder of JSON files (no key).

A transport raises `PermanentFailure` when retrying cannot help (the provider refused the
message itself); any other exception means "try again later" and the sender backs off, no
sooner than a `TransientFailure`'s `retry_after` (Brevo's rate-limit reset) when it has one.

`send` is one email (the account mail queue); `send_batch` is many personalised versions in one
call (`messageVersions`, the notification deliveries), each call idempotent under its key.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from brevo import AsyncBrevo
from brevo.core.api_error import ApiError as BrevoApiError
from brevo.transactional_emails import (
    SendTransacEmailRequestMessageVersionsItem,
    SendTransacEmailRequestMessageVersionsItemToItem,
    SendTransacEmailRequestSender,
    SendTransacEmailRequestToItem,
)

from server.atomic_files import write_atomically
from server.settings import Settings


class PermanentFailure(Exception):
    """The provider will never accept this message as it is; do not retry it."""


class TransientFailure(Exception):
    """Try again later, and not before `retry_after` seconds when the provider said so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# Brevo allows 2,000 recipients per call; the notifications send at most this many versions.
MAX_BATCH_VERSIONS = 1000


@dataclass(frozen=True)
class EmailVersion:
    """One personalised email of a batch (one recipient)."""

    to: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class OutgoingEmail:
    id: str
    seq: int
    to: str
    subject: str
    text: str
    html: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


class MailTransport(Protocol):
    name: str

    async def send(self, email: OutgoingEmail) -> str | None:
        """Deliver; return the provider's message id when it gives one."""
        ...

    async def send_batch(
        self, versions: Sequence[EmailVersion], *, key: str, tag: str
    ) -> list[str | None]:
        """Deliver every version in one call; a repeat with the same `key` sends nothing
        new. Returns the provider's message ids, one per version when it gives them."""
        ...

    async def close(self) -> None: ...


class OutboxFileTransport:
    """Writes each email to `<dir>/<created_at>-<seq>-<id>.json` (names sort by time)."""

    name = "outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, email: OutgoingEmail) -> str | None:
        stamp = email.created_at.strftime("%Y%m%dT%H%M%S%f") if email.created_at else "0"
        name = f"{stamp}-{email.seq:012d}-{email.id}.json"
        body = {
            "id": email.id,
            "seq": email.seq,
            "to": email.to,
            "subject": email.subject,
            "text": email.text,
            "html": email.html,
            "template": email.template,
            "params": email.params,
            "created_at": email.created_at.isoformat() if email.created_at else None,
        }
        data = json.dumps(body, indent=2, default=str).encode()
        await asyncio.to_thread(write_atomically, self.directory / name, data)
        return name

    async def send_batch(
        self, versions: Sequence[EmailVersion], *, key: str, tag: str
    ) -> list[str | None]:
        # Named by the batch key: a repeat after a crash rewrites the same files (idempotent).
        names: list[str | None] = [f"{key}-{i:04d}.json" for i in range(len(versions))]
        await asyncio.to_thread(self._write_versions, versions, names, key, tag)
        return names

    def _write_versions(
        self, versions: Sequence[EmailVersion], names: list[str | None], key: str, tag: str
    ) -> None:
        for version, name in zip(versions, names, strict=True):
            # The mail queue's file shape (readers sort by seq), plus the batch key.
            body = {"id": str(name).removesuffix(".json"), "seq": 0, "template": tag,
                    "params": {}, "created_at": None, "batch": key, **version.__dict__}  # fmt: skip
            write_atomically(self.directory / str(name), json.dumps(body, indent=2).encode())

    async def close(self) -> None:
        return None


class BrevoTransport:
    """Brevo transactional email (`POST {base}/smtp/email`) through brevo-python's AsyncBrevo."""

    name = "brevo"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        sender_address: str,
        sender_name: str,
        timeout: float = 15.0,
    ) -> None:
        # Our own httpx client so shutdown can close it; the SDK's retries are off because the
        # durable queue retries with backoff across restarts.
        self._http = httpx.AsyncClient(timeout=timeout)
        self._client = AsyncBrevo(
            api_key=api_key,
            base_url=base_url.rstrip("/"),
            httpx_client=self._http,
            timeout=timeout,
            max_retries=0,
        )
        self._sender = SendTransacEmailRequestSender(email=sender_address, name=sender_name)

    async def send(self, email: OutgoingEmail) -> str | None:
        try:
            reply = await self._client.transactional_emails.send_transac_email(
                sender=self._sender,
                to=[SendTransacEmailRequestToItem(email=email.to)],
                subject=email.subject,
                html_content=email.html,
                text_content=email.text,
                tags=[email.template],
                # Brevo drops a second request with the same key: a retry after a lost reply
                # does not send the email twice.
                headers={"idempotencyKey": email.id},
            )
        except BrevoApiError as exc:
            raise _classified(exc) from exc
        return reply.message_id

    async def send_batch(
        self, versions: Sequence[EmailVersion], *, key: str, tag: str
    ) -> list[str | None]:
        if not versions or len(versions) > MAX_BATCH_VERSIONS:
            raise ValueError(f"a batch has 1 to {MAX_BATCH_VERSIONS} versions")
        first = versions[0]
        common = {
            "sender": self._sender,
            "subject": first.subject,
            "html_content": first.html,
            "text_content": first.text,
            "tags": [tag],
            "headers": {"idempotencyKey": key},
        }
        try:
            if len(versions) == 1:
                reply = await self._client.transactional_emails.send_transac_email(
                    to=[SendTransacEmailRequestToItem(email=first.to)], **common
                )
            else:
                reply = await self._client.transactional_emails.send_transac_email(
                    message_versions=[_version(v) for v in versions], **common
                )
        except BrevoApiError as exc:
            raise _classified(exc) from exc
        ids = list(reply.message_ids or ([reply.message_id] if reply.message_id else []))
        return ids if len(ids) == len(versions) else [None] * len(versions)

    async def close(self) -> None:
        await self._http.aclose()


def _version(v: EmailVersion) -> SendTransacEmailRequestMessageVersionsItem:
    return SendTransacEmailRequestMessageVersionsItem(
        to=[SendTransacEmailRequestMessageVersionsItemToItem(email=v.to)],
        subject=v.subject,
        html_content=v.html,
        text_content=v.text,
    )


def _classified(exc: BrevoApiError) -> Exception:
    """400: the message itself is refused (a bad address), final. 429: wait for the window
    Brevo names. Anything else (401 after a key rotation, 5xx): an outage, retried."""
    if exc.status_code == 400:
        return PermanentFailure(f"brevo refused the email: {exc.body}")
    retry_after = None
    if exc.status_code == 429:
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        try:
            retry_after = float(headers.get("x-sib-ratelimit-reset", ""))
        except ValueError:
            retry_after = None
    return TransientFailure(f"brevo {exc.status_code}: {exc.body}", retry_after=retry_after)


def mail_transport_from(settings: Settings) -> MailTransport:
    """Brevo when a key is configured, else the outbox folder under DATA_DIR."""
    if settings.brevo_api_key is not None and settings.brevo_api_key.get_secret_value():
        return BrevoTransport(
            api_key=settings.brevo_api_key.get_secret_value(),
            base_url=settings.brevo_base_url,
            sender_address=settings.email_sender_address,
            sender_name=settings.email_sender_name,
        )
    return OutboxFileTransport(settings.data_dir.resolve() / "outbox")
