"""The inbox and the preferences on the wire: items, pages, queries and bodies. Pure."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from server.domain.cursors import Cursor, decode_cursor, encode_cursor
from server.domain.notification_preferences import (
    DEFAULT_LOCALE,
    DEFAULT_TIMEZONE,
    Channel,
    Locale,
    Mode,
    NotificationPreferences,
    QuietHours,
)
from server.domain.notification_rules import TYPES, all_modes, only_changes


class NotificationRead(BaseModel):
    id: str
    type: str
    title: str
    body: str
    data: dict[str, Any]  # ids for deep links
    course_id: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    next_cursor: str | None


class NotificationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unread_only: bool = False
    course_id: uuid.UUID | None = None
    cursor: Cursor | None = None
    limit: int = Field(20, ge=1, le=100)


class UnreadCount(BaseModel):
    unread: int


class ReadAllBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    course_id: uuid.UUID | None = None


def page_cursor(seq: int) -> str:
    return encode_cursor(seq)


def page_before(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    (seq,) = decode_cursor(cursor, int)
    return seq


# --- preferences ---

HourMinute = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class QuietHoursWire(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: HourMinute = Field(examples=["22:00"])
    end: HourMinute = Field(examples=["08:00"])


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


NotificationType = Literal[tuple(TYPES)]  # type: ignore[valid-type]


class ChannelModes(BaseModel):
    """A type's modes by channel; a channel left out keeps its default. A daily digest is an
    email: in-app items and pushes are sent at once or not at all."""

    model_config = ConfigDict(extra="forbid")
    in_app: Literal["immediate", "off"] | None = None
    email: Literal["immediate", "daily_digest", "off"] | None = None
    push: Literal["immediate", "off"] | None = None


class PreferencesBody(BaseModel):
    """PUT replaces the preferences: what is left out takes its default."""

    model_config = ConfigDict(extra="forbid")
    locale: Locale = DEFAULT_LOCALE
    timezone: str = Field(DEFAULT_TIMEZONE, examples=[DEFAULT_TIMEZONE])
    quiet_hours: QuietHoursWire | None = None
    events: dict[NotificationType, ChannelModes] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str) -> str:
        if value not in _zones():
            raise ValueError("must be an IANA time zone, e.g. America/Argentina/Buenos_Aires")
        return value

    def chosen(self) -> dict[str, dict[Channel, Mode]]:
        return {t: modes.model_dump(exclude_none=True) for t, modes in self.events.items()}

    def to_stored(self) -> NotificationPreferences:
        quiet = None
        if self.quiet_hours is not None:
            quiet = QuietHours(
                start=time.fromisoformat(self.quiet_hours.start),
                end=time.fromisoformat(self.quiet_hours.end),
            )
        return NotificationPreferences(
            locale=self.locale,
            timezone=self.timezone,
            quiet_hours=quiet,
            events=only_changes(self.chosen()),
        )


class PreferencesRead(BaseModel):
    locale: Locale
    timezone: str
    quiet_hours: QuietHoursWire | None
    events: dict[str, dict[Channel, Mode]]  # every type and channel, with the mode in force
    critical: list[str]  # types whose email can't be turned off


def preferences_read(prefs: NotificationPreferences) -> PreferencesRead:
    quiet = None
    if prefs.quiet_hours is not None:
        quiet = QuietHoursWire(
            start=f"{prefs.quiet_hours.start:%H:%M}", end=f"{prefs.quiet_hours.end:%H:%M}"
        )
    return PreferencesRead(
        locale=prefs.locale,
        timezone=prefs.timezone,
        quiet_hours=quiet,
        events=all_modes(prefs),
        critical=sorted(t for t, spec in TYPES.items() if spec.critical),
    )
