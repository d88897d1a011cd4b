"""When an email or push may go out: quiet hours, daily digests, retry backoff. Pure functions
of instants (aware UTC datetimes), IANA time zones and numbers; no clock, no randomness of
their own (the caller passes `rand` in [0, 1)), so every rule is checked by hand in tests.

Local wall times are turned into instants with `zoneinfo` under PEP 495: a wall time that a
spring-forward skips (02:30 on a day the clock jumps 02:00 -> 03:00) is read with the offset
before the jump, i.e. it lands as far past the jump as it was meant to be past 02:00 (03:30);
a wall time that a fall-back repeats means its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.domain.notification_preferences import DEFAULT_TIMEZONE, QuietHours

DIGEST_AT = time(8, 0)
# More held items than this, for one user and channel, go out as one summary at quiet end.
SUMMARY_THRESHOLD = 3


def zone(name: str) -> ZoneInfo:
    """The user's zone; an unknown name (stored before validation existed) is the default."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on `day` in `tz` (gaps and folds as in the module doc)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def in_quiet_hours(at: datetime, tz: ZoneInfo, quiet: QuietHours | None) -> bool:
    """Whether the wall time at `at` falls in [start, end); start > end spans midnight, and
    start == end means no quiet hours (an empty window, not a whole day)."""
    if quiet is None or quiet.start == quiet.end:
        return False
    wall = at.astimezone(tz).time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        return quiet.start <= wall < quiet.end
    return wall >= quiet.start or wall < quiet.end


def quiet_hours_end(at: datetime, tz: ZoneInfo, quiet: QuietHours | None) -> datetime | None:
    """The instant the quiet hours around `at` end, or None when `at` is not in them."""
    if quiet is None or not in_quiet_hours(at, tz, quiet):
        return None
    local = at.astimezone(tz)
    day = local.date()
    # Past midnight in a window that spans it, or in a same-day window: ends today; in the
    # evening part of a spanning window: ends tomorrow.
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        day += timedelta(days=1)
    end = local_instant(day, quiet.end, tz)
    return end if end > at else at  # a gap can put the wall end before `at`: release now


def next_digest_at(at: datetime, tz: ZoneInfo, digest_at: time = DIGEST_AT) -> datetime:
    """The first `digest_at` wall time in `tz` at or after `at`."""
    local_day = at.astimezone(tz).date()
    for offset in (0, 1, 2):  # two days always suffice; three guards a zone skipping a date
        candidate = local_instant(local_day + timedelta(days=offset), digest_at, tz)
        if candidate >= at:
            return candidate
    raise AssertionError("unreachable: a digest time within three days")


def release_at(
    at: datetime,
    tz: ZoneInfo,
    *,
    quiet: QuietHours | None,
    critical: bool,
    digest: bool,
) -> datetime:
    """When a delivery created or seen at `at` may go out: digests wait for the digest time,
    and anything non-critical that would go out inside quiet hours waits for their end."""
    when = next_digest_at(at, tz) if digest else at
    if not critical:
        when = quiet_hours_end(when, tz, quiet) or when
    return when


def backoff_ceiling(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """The largest delay after `attempts` failed tries: base, 2*base, 4*base ... cap."""
    return min(base * (2 ** max(0, min(attempts - 1, 30))), cap)


def retry_delay(
    attempts: int,
    *,
    base: timedelta,
    cap: timedelta,
    rand: float,
    retry_after: float | None = None,
) -> timedelta:
    """Full jitter (uniform in [0, ceiling)) after `attempts` failed tries, but never sooner
    than the provider asked (`retry_after` seconds: FCM's Retry-After, Brevo's
    x-sib-ratelimit-reset)."""
    if not 0.0 <= rand < 1.0:
        raise ValueError("rand must be in [0, 1)")
    delay = backoff_ceiling(attempts, base=base, cap=cap) * rand
    if retry_after is not None and retry_after > 0:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay
