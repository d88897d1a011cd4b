"""How a viewer wants figures shown: their language and time zone. Pure.

Both come from the user's notification preferences (`{locale, timezone}`); a user who never set
them reads Spanish in Buenos Aires time, the platform's home. Read leniently: a stored value
this code cannot use falls back to the default rather than failing the request. A request may
override the zone with `?tz=` (a teacher travelling, a report for someone elsewhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

from server.domain.notification_preferences import DEFAULT_LOCALE, DEFAULT_TIMEZONE, Locale

# The preferences' own contract (server/domain/notification_preferences.py) owns the defaults.
LOCALES: tuple[Locale, ...] = get_args(Locale)


def zone(name: str) -> ZoneInfo | None:
    """The IANA zone, or None when the name is not one (also for path-like junk)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def _check_zone(name: str) -> str:
    if zone(name) is None:
        raise ValueError("not an IANA time zone name (for example America/Argentina/Buenos_Aires)")
    return name


TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, description="IANA time zone, e.g. Europe/Madrid"),
    AfterValidator(_check_zone),
]


@dataclass(frozen=True)
class Display:
    locale: Locale
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)


DEFAULT_DISPLAY = Display(DEFAULT_LOCALE, DEFAULT_TIMEZONE)


def display_for(stored: Mapping[str, Any] | None, tz_override: str | None = None) -> Display:
    """The stored preferences, with defaults for what is missing or unusable (a zone name the
    preferences screen accepted once may since have left the tz database)."""
    stored = stored or {}
    locale = stored.get("locale")
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    for candidate in (tz_override, stored.get("timezone")):
        if isinstance(candidate, str) and zone(candidate) is not None:
            return Display(locale, candidate)
    return Display(locale, DEFAULT_TIMEZONE)
