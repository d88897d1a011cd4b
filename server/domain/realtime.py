"""Realtime rules without I/O: who hears which stream, how a socket orders what it receives,
when a client must resync, and how fast a client may talk."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server.domain.events import (
    ADMIN_AUDIT_STREAM,
    ADMINS_STREAM,
    GLOBAL_STREAM,
    course_staff_stream,
    course_stream,
    submissions_stream,
    user_stream,
)

STAFF_ROLES = frozenset({"owner", "assistant"})
# Events after which the rooms of `data.user_id` in `data.course_id` must be recomputed.
MEMBERSHIP_EVENTS = frozenset(
    {
        "enrollment.created",
        "enrollment.removed",
        "member.status_changed",
        "assistant.assigned",
        "assistant.revoked",
        "course.deleted",
        "course.created",  # the owner's rooms in the new course
    }
)


def streams_of(user_id: uuid.UUID, roles: Iterable[tuple[uuid.UUID, str]]) -> set[str]:
    """The server-managed rooms of a user: their own, everyone's, each course's, and staff
    rooms."""
    streams = {user_stream(user_id), GLOBAL_STREAM}
    for course_id, role in roles:
        streams.add(course_stream(course_id))
        if role in STAFF_ROLES:
            streams.add(course_staff_stream(course_id))
    return streams


def staff_courses(roles: Iterable[tuple[uuid.UUID, str]]) -> set[uuid.UUID]:
    return {course_id for course_id, role in roles if role in STAFF_ROLES}


def watch_stream(assignment_id: uuid.UUID) -> str:
    return submissions_stream(assignment_id)


class Offer(StrEnum):
    deliver = "deliver"
    duplicate = "duplicate"  # already delivered (replay and live overlap at the seam)
    gap = "gap"  # something in between was missed: read the log before going on


def classify(last: int | None, seq: int) -> Offer:
    if last is None or seq == last + 1:
        return Offer.deliver
    if seq <= last:
        return Offer.duplicate
    return Offer.gap


class ReplayPlan(StrEnum):
    up_to_date = "up_to_date"
    replay = "replay"
    resync = "resync"  # behind the retention window (or ahead of the server): refetch over REST


def plan_replay(*, after: int, head: int, first_retained: int | None) -> ReplayPlan:
    """`first_retained` is the oldest retained seq > after (None when the log has none)."""
    if after > head:
        return ReplayPlan.resync
    if after == head:
        return ReplayPlan.up_to_date
    if first_retained is None or first_retained > after + 1:
        return ReplayPlan.resync
    return ReplayPlan.replay


@dataclass(slots=True)
class TokenBucket:
    """`rate` tokens a second up to `burst`; `now` is a monotonic reading in seconds."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    stamp: float = 0.0

    def take(self, now: float) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def full(self, now: float) -> bool:
        """Whether the bucket would hold its whole burst at `now` (forgetting it loses nothing)."""
        return self.tokens < 0 or self.tokens + (now - self.stamp) * self.rate >= self.burst


# --- client events (validated; anything else gets an error ack) ---

StreamName = Annotated[str, StringConstraints(min_length=1, max_length=120)]


class ClientEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WatchRequest(ClientEvent):
    assignment_id: uuid.UUID
    # Last seq of the submissions stream the client saw (replays what came after).
    after: Annotated[int, Field(ge=0)] | None = None


class ResumeRequest(ClientEvent):
    streams: dict[StreamName, Annotated[int, Field(ge=0)]] = Field(max_length=500)


class PingRequest(ClientEvent):
    # Echoed back so the client can measure round trips.
    t: float | int | str | None = None


class ConnectAuth(BaseModel):
    model_config = ConfigDict(extra="ignore")

    token: str = Field(min_length=1, max_length=4096)
    resume: dict[StreamName, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, max_length=500
    )


# Socket.IO addressing: admin streams live in their own namespace under short room names.
ADMIN_NAMESPACE = "/admin"
USER_NAMESPACE = "/"
# What an admin's console is told when its socket is ended, by reason: the same words whichever
# path ends it (the relay's watcher, the auth sweep, the audit feed).
ADMIN_SESSION_ENDED = {
    "admin_removed": "This admin account was removed.",
    "token_revoked": "The admin session was revoked.",
}
_ADMIN_ROOMS = {ADMIN_AUDIT_STREAM: "audit", ADMINS_STREAM: "admins"}
# What every admin socket hears: the audit feed and the admin accounts' own changes.
ADMIN_STREAMS = frozenset(_ADMIN_ROOMS)


def route(stream: str) -> tuple[str, str]:
    """(namespace, room) where the envelopes of `stream` are delivered."""
    if stream in _ADMIN_ROOMS:
        return ADMIN_NAMESPACE, _ADMIN_ROOMS[stream]
    return USER_NAMESPACE, stream


def batches_by_room(
    envelopes: Iterable[dict[str, Any]], *, limit: int
) -> list[tuple[tuple[str, str], list[dict[str, Any]]]]:
    """The envelopes grouped by (namespace, room), each room's in their original order, in
    batches of at most `limit`; rooms come in the order of their first envelope."""
    rooms: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for envelope in envelopes:
        rooms.setdefault(route(envelope["stream"]), []).append(envelope)
    return [
        (where, batch[start : start + limit])
        for where, batch in rooms.items()
        for start in range(0, len(batch), limit)
    ]
