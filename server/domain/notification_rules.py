"""Which events notify whom, on which channels by default, and what a user may change. Pure.

The table of docs/notifications.md, as code. A notification's type is the event's type; a
user's preferences name a mode per type and channel (`immediate`, `daily_digest`, `off`), and
what they never set falls back to the defaults here. Critical types (account security) go by
email immediately whatever the preferences say, and turning that off is refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from server.domain.deliveries import DeliveryChannel
from server.domain.notification_preferences import Channel, Mode, NotificationPreferences

CHANNELS: tuple[Channel, ...] = ("in_app", "email", "push")
OUTSIDE_CHANNELS: tuple[DeliveryChannel, ...] = ("email", "push")


class Audience(StrEnum):
    EVENT_USER = "event_user"  # data.user_id
    STREAM_USERS = "stream_users"  # the user:{id} streams the event was recorded for
    COURSE_ACTIVE_STUDENTS = "course_active_students"
    COURSE_STAFF = "course_staff"  # owner and assistants
    COURSE_MEMBERS = "course_members"  # everyone not removed, staff included
    RULE_AUDIENCE = "rule_audience"  # data.applies_to: all | students | teachers
    THREAD_FOLLOWERS = "thread_followers"  # resolved by the forum


@dataclass(frozen=True)
class NotificationType:
    name: str
    audience: Audience
    defaults: frozenset[Channel]  # channels on (immediate) by default; the rest are off
    critical: bool = False
    skip_actor: bool = False  # whoever caused it is not told about it
    # Deep-link ids copied from the event's data into the item's `data`.
    links: tuple[str, ...] = ("course_id",)
    doc: str = ""


def _t(name: str, audience: Audience, *channels: Channel, **kw: Any) -> NotificationType:
    return NotificationType(name, audience, frozenset(channels), **kw)


_ASSIGNMENT = ("course_id", "assignment_id", "due_at")
_ACCOUNT = ("user_id",)

TYPES: dict[str, NotificationType] = {
    t.name: t
    for t in (
        _t("enrollment.created", Audience.EVENT_USER, "in_app", "email"),
        _t(
            "member.status_changed",
            Audience.EVENT_USER,
            "in_app",
            "email",
            "push",
            links=("course_id", "status"),
        ),
        _t("assistant.assigned", Audience.EVENT_USER, "in_app", "email"),
        _t("assistant.revoked", Audience.EVENT_USER, "in_app", "email"),
        _t(
            "assignment.published",
            Audience.COURSE_ACTIVE_STUDENTS,
            "in_app",
            "push",
            links=_ASSIGNMENT,
        ),
        _t(
            "assignment.updated",
            Audience.COURSE_ACTIVE_STUDENTS,
            "in_app",
            "push",
            links=_ASSIGNMENT,
            doc="only when a published assignment's due date changes",
        ),
        _t(
            "deadline.reminder",
            Audience.STREAM_USERS,
            "in_app",
            "push",
            links=(*_ASSIGNMENT, "before"),
            doc="24 h and 1 h before; not to students who have submitted",
        ),
        _t(
            "submission.created",
            Audience.COURSE_STAFF,
            "in_app",
            links=("course_id", "assignment_id", "submission_id", "student_id"),
        ),
        _t(
            "grade.published",
            Audience.STREAM_USERS,
            "in_app",
            "email",
            "push",
            links=("course_id", "assignment_id", "submission_id"),
        ),
        _t(
            "feedback.received",
            Audience.EVENT_USER,
            "in_app",
            "email",
            "push",
            links=("course_id", "feedback_id"),
            doc="feedback from staff to a student (not a student's rating of the course)",
        ),
        _t("course.deleted", Audience.COURSE_MEMBERS, "in_app", "email", skip_actor=True),
        _t(
            "rule.published",
            Audience.RULE_AUDIENCE,
            "in_app",
            "email",
            links=("rule_id", "version"),
        ),
        _t("course.at_risk_digest", Audience.COURSE_STAFF, "in_app", "email"),
        _t(
            "forum.answer_created",
            Audience.THREAD_FOLLOWERS,
            "in_app",
            "push",
            links=("course_id", "thread_id", "answer_id"),
        ),
        _t(
            "forum.mentioned",
            Audience.EVENT_USER,
            "in_app",
            "push",
            links=("course_id", "thread_id", "post_id"),
            doc="a course member named with @ in a forum post they may read",
        ),
        *(
            _t(name, Audience.EVENT_USER, "email", critical=True, links=_ACCOUNT)
            for name in (
                "account.blocked",
                "account.unblocked",
                "account.locked",
                "account.password_changed",
                "account.google_linked",
            )
        ),
    )
}

CRITICAL_TYPES = frozenset(name for name, t in TYPES.items() if t.critical)
# Critical types can't be turned off on this channel (nor delayed into a digest).
LOCKED_CHANNEL: Channel = "email"

_NAMESPACE = uuid.UUID("0f6c1d2e-8a4b-4d1e-9c3f-5e7a2b9d4c61")


def notification_id(event_id: uuid.UUID | str, user_id: uuid.UUID | str) -> str:
    """One inbox item per event and recipient: a consumer that runs an event again after a
    crash inserts the same ids, which the inbox ignores as duplicates."""
    return str(uuid.uuid5(_NAMESPACE, f"{event_id}:{user_id}"))


def default_mode(type: str, channel: Channel) -> Mode:
    return "immediate" if channel in TYPES[type].defaults else "off"


def effective_mode(prefs: NotificationPreferences, type: str, channel: Channel) -> Mode:
    if TYPES[type].critical and channel == LOCKED_CHANNEL:
        return "immediate"
    chosen = prefs.events.get(type, {}).get(channel)
    return chosen if chosen is not None else default_mode(type, channel)


def all_modes(prefs: NotificationPreferences) -> dict[str, dict[Channel, Mode]]:
    """Every type and channel with the mode in force (what GET shows)."""
    return {t: {c: effective_mode(prefs, t, c) for c in CHANNELS} for t in TYPES}


def only_changes(events: dict[str, dict[Channel, Mode]]) -> dict[str, dict[Channel, Mode]]:
    """What is stored: the modes that differ from the defaults."""
    stored = {
        t: {c: m for c, m in modes.items() if m != default_mode(t, c)}
        for t, modes in events.items()
    }
    return {t: modes for t, modes in stored.items() if modes}


def locked_choices(events: dict[str, dict[Channel, Mode]]) -> list[dict[str, Any]]:
    """The choices a user may not make: a critical type's email anything but immediate."""
    return [
        {"field": f"body.events.{t}.{LOCKED_CHANNEL}", "type": t, "mode": modes[LOCKED_CHANNEL]}
        for t, modes in events.items()
        if t in CRITICAL_TYPES and modes.get(LOCKED_CHANNEL, "immediate") != "immediate"
    ]


@dataclass(frozen=True)
class Notice:
    """What an event says, before recipients: its type, text variant and deep links."""

    type: str
    variant: str  # which text: e.g. "approved" for member.status_changed
    course_id: str | None
    links: dict[str, Any] = field(default_factory=dict)


class MalformedEvent(ValueError):
    """An event without what its notification needs (recorded by hand, or by an older
    version): it is skipped, not retried for ever."""


# Ids the consumer looks up in Postgres: a malformed one must not fail the batch for ever.
_UUIDS = ("course_id", "assignment_id", "user_id", "student_id", "submission_id")
# Links a notice shows when the event has them but can do without.
_OPTIONAL = frozenset({"due_at", "before", "status", "version", "student_id", "until"})


def _require(data: dict[str, Any], *keys: str) -> None:
    if missing := [k for k in keys if data.get(k) in (None, "")]:
        raise MalformedEvent(f"missing {', '.join(missing)}")
    for key in _UUIDS:
        if data.get(key) is not None:
            try:
                uuid.UUID(str(data[key]))
            except ValueError:
                raise MalformedEvent(f"{key} is not a uuid") from None


_STATUSES = ("approved", "failed", "removed")
_APPLIES_TO = ("all", "students", "teachers")


def notice_for(type: str, data: dict[str, Any]) -> Notice | None:
    """The notice an event gives, or None when this event notifies nobody (a draft's change,
    a change that is not a new due date, a student's rating of a course)."""
    spec = TYPES[type]
    variant = "default"
    if type == "assignment.updated" and not (
        data.get("due_at_changed") and data.get("state") == "published"
    ):
        return None
    if type == "feedback.received" and data.get("about") != "student":
        return None
    if type == "member.status_changed":
        if data.get("status") not in _STATUSES:
            return None
        variant = data["status"]
    if type == "deadline.reminder":
        variant = "1h" if data.get("before") == "1h" else "24h"
    if type == "rule.published" and data.get("applies_to", "all") not in _APPLIES_TO:
        raise MalformedEvent(f"applies_to {data.get('applies_to')!r}")
    if type == "account.blocked" and data.get("until"):
        variant = "until"
    needs = [k for k in spec.links if k not in _OPTIONAL]
    if spec.audience is Audience.EVENT_USER:
        needs.append("user_id")
    if spec.audience is Audience.RULE_AUDIENCE or type == "course.at_risk_digest":
        needs.append("title")
    _require(data, *needs)
    links = {k: data[k] for k in spec.links if data.get(k) is not None}
    return Notice(type=type, variant=variant, course_id=data.get("course_id"), links=links)
