"""Where rendered emails go: Brevo's transactional API, or a folder of JSON files (no key).

A transport raises `PermanentFailure` when retrying cannot help (the provider refused the
message itself); any other exception means "try again later" and the mailer backs off.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from brevo import AsyncBrevo
from brevo.core.api_error import ApiError as BrevoApiError
from brevo.transactional_emails import SendTransacEmailRequestSender, SendTransacEmailRequestToItem

from server.atomic_files import write_atomically
from server.settings import Settings


class PermanentFailure(Exception):
    """The provider will never accept this message as it is; do not retry it."""


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
                headers={"IdempotencyKey": email.id},
            )
        except BrevoApiError as exc:
            if exc.status_code == 400:
                raise PermanentFailure(f"brevo refused the email: {exc.body}") from exc
            raise
        return reply.message_id

    async def close(self) -> None:
        await self._http.aclose()


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
