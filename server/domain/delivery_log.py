"""The delivery log as the API shows it: `GET /api/v1/notifications/deliveries`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.domain.cursors import Cursor
from server.domain.deliveries import DeliveryChannel, DeliveryStatus


class DeliveryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: DeliveryChannel | None = None
    status: DeliveryStatus | None = None
    cursor: Cursor | None = None
    limit: int = Field(20, ge=1, le=100)


class DeliveryAttempt(BaseModel):
    at: datetime
    outcome: Literal["sent", "failed", "dead", "skipped", "held"]
    error: str | None = None
    retry_at: datetime | None = None
    reason: str | None = None
    hold: str | None = None
    until: datetime | None = None
    provider: dict[str, Any] | None = None


class DeliveryRead(BaseModel):
    id: str
    notification_id: str
    channel: DeliveryChannel
    type: str
    mode: str
    status: DeliveryStatus
    reason: str | None = None  # why skipped
    hold: str | None = None  # what it waits for: digest, quiet hours, push grace
    attempts: int
    next_attempt_at: datetime | None = None  # queued or failed: not before then
    last_error: str | None = None
    provider: dict[str, Any] | None = None  # the provider's answer when sent
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    log: list[DeliveryAttempt]

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> DeliveryRead:
        waiting = doc["status"] in ("queued", "failed")
        return cls(
            id=doc["_id"],
            notification_id=doc["notification_id"],
            channel=doc["channel"],
            type=doc["type"],
            mode=doc["mode"],
            status=doc["status"],
            reason=doc.get("reason"),
            hold=doc.get("hold") if waiting else None,
            attempts=doc.get("attempts", 0),
            next_attempt_at=doc.get("not_before") if waiting else None,
            last_error=doc.get("last_error"),
            provider=doc.get("provider"),
            created_at=doc["created_at"],
            updated_at=doc["updated_at"],
            sent_at=doc.get("sent_at"),
            log=[DeliveryAttempt.model_validate(e) for e in doc.get("log", [])],
        )


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None
