"""A user's notification preferences: language, time zone, quiet hours and a mode per event
type and channel. Shared contract of the notifications pipeline: the inbox side writes them, the
delivery side reads them to schedule email and push (quiet hours, daily digests)."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["in_app", "email", "push"]
Mode = Literal["immediate", "daily_digest", "off"]
Locale = Literal["es", "en"]

DEFAULT_LOCALE: Locale = "es"
DEFAULT_TIMEZONE = "America/Argentina/Buenos_Aires"


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: time
    end: time


class NotificationPreferences(BaseModel):
    """What is stored per user; `events` holds only what differs from the defaults."""

    model_config = ConfigDict(extra="forbid")
    locale: Locale = DEFAULT_LOCALE
    timezone: str = DEFAULT_TIMEZONE
    quiet_hours: QuietHours | None = None
    events: dict[str, dict[Channel, Mode]] = Field(default_factory=dict)
