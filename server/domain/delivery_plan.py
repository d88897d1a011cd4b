"""What to do with a claimed delivery now: send it, or hold it until a given instant.

A delivery goes through at most these holds, each recorded on it as `hold`:
- `digest`: a `daily_digest` item waits for the digest time in the user's zone (and past quiet
  hours when it is not critical); then all the user's due digest items on that channel go out
  as one email or one push.
- `quiet`: a non-critical item that would go out inside quiet hours waits for their end; then
  more than `SUMMARY_THRESHOLD` such items go out as one summary, fewer one by one.
- `grace`: a push to someone with a live socket waits the grace; then it is sent unless they
  read the notification in the app meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from server.domain.deliveries import NewDelivery
from server.domain.delivery_schedule import SUMMARY_THRESHOLD, quiet_hours_end, release_at, zone
from server.domain.notification_preferences import NotificationPreferences, QuietHours

Hold = Literal["digest", "quiet", "grace"]
GROUPED: frozenset[str] = frozenset({"digest", "quiet"})


@dataclass(frozen=True)
class Plan:
    send: bool
    until: datetime | None = None  # when holding
    hold: Hold | None = None  # the hold to record (holding), or the one just ended (sending)


def plan(
    *,
    channel: str,
    mode: str,
    critical: bool,
    hold: str | None,
    now: datetime,
    tz: ZoneInfo,
    quiet: QuietHours | None,
    online: bool,
    grace: timedelta,
) -> Plan:
    if hold is None:
        digest = mode == "daily_digest"
        release = release_at(now, tz, quiet=quiet, critical=critical, digest=digest)
        if digest:
            return Plan(send=False, until=release, hold="digest")
        if release > now:
            return Plan(send=False, until=release, hold="quiet")
        if channel == "push" and online and grace > timedelta(0):
            return Plan(send=False, until=now + grace, hold="grace")
        return Plan(send=True)
    if hold in GROUPED and not critical:
        # Released, but quiet hours may have begun since (the user changed them): wait again.
        end = quiet_hours_end(now, tz, quiet)
        if end is not None:
            return Plan(send=False, until=end, hold=hold)  # type: ignore[arg-type]
    return Plan(send=True, hold=hold)  # type: ignore[arg-type]


def held_when_queued(
    delivery: NewDelivery,
    *,
    prefs: NotificationPreferences,
    online: bool,
    now: datetime,
    grace: timedelta,
) -> NewDelivery:
    """The worker's first decision on a delivery, taken as it is queued: one the worker would
    hold (a digest, quiet hours, the push grace) is written held, rather than claimed at once
    only to be put back (two updates each: for a push to 200 online students, about a second
    of SecantusDB's time per publish, docs/notifications.md). Same rule, same inputs: the
    user's preferences and presence as they are when the delivery is queued."""
    if delivery.status != "queued":
        return delivery
    decision = plan(
        channel=delivery.channel,
        mode=delivery.mode,
        critical=delivery.critical,
        hold=None,
        now=now,
        tz=zone(prefs.timezone),
        quiet=prefs.quiet_hours,
        online=online,
        grace=grace,
    )
    if decision.send:
        return delivery
    return replace(delivery, hold=decision.hold, not_before=decision.until)


@dataclass(frozen=True)
class Group:
    """Deliveries that go out as one message (`kind` digest or summary), or alone (`single`)."""

    kind: Literal["single", "digest", "summary"]
    ids: tuple[str, ...]


def group_released(hold: str | None, ids: Sequence[str]) -> list[Group]:
    """How one user's released deliveries on one channel, all with the same ended hold, go
    out: every digest item together; held items together past the threshold; else alone."""
    if hold == "digest" and ids:
        return [Group("digest", tuple(ids))]
    if hold == "quiet" and len(ids) > SUMMARY_THRESHOLD:
        return [Group("summary", tuple(ids))]
    return [Group("single", (i,)) for i in ids]
