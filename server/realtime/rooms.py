"""Live room membership: after a membership event, recompute the rooms of that user's sockets.

Every process sees every relayed envelope (through Redis when configured), so whichever
process holds the user's sockets updates them.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any

from aiohttp import web

from server.domain import realtime as rules
from server.domain.events import course_staff_stream, course_stream
from server.keys import PG_POOL, SCHEDULER
from server.realtime.hub import Hub
from server.services import realtime_access as access

SEEN_EVENTS = 4096  # an event bound for several streams is seen once per stream


class MembershipWatcher:
    def __init__(self, app: web.Application, hub: Hub) -> None:
        self.app = app
        self.hub = hub
        self.seen: OrderedDict[str, None] = OrderedDict()

    async def __call__(self, envelope: dict[str, Any]) -> None:
        if envelope["type"] not in rules.MEMBERSHIP_EVENTS or envelope["id"] in self.seen:
            return
        self.seen[envelope["id"]] = None
        if len(self.seen) > SEEN_EVENTS:
            self.seen.popitem(last=False)
        start = self._new_streams(envelope)
        for user_id in self._affected(envelope):
            if self.hub.by_user.get(user_id):
                await self.app[SCHEDULER].spawn(self.refresh(user_id, start))

    def _new_streams(self, envelope: dict[str, Any]) -> dict[str, int]:
        """A new course's streams start empty: joined later, they replay from their first
        event (enrolments may come before the owner's sockets join), not from the head."""
        if envelope["type"] != "course.created":
            return {}
        try:
            course_id = uuid.UUID(str((envelope.get("data") or {}).get("course_id")))
        except ValueError:
            return {}
        return {course_stream(course_id): 0, course_staff_stream(course_id): 0}

    def _affected(self, envelope: dict[str, Any]) -> set[uuid.UUID]:
        data = envelope.get("data") or {}
        users: set[uuid.UUID] = set()
        try:
            if data.get("user_id"):
                users.add(uuid.UUID(str(data["user_id"])))
            if envelope["type"] == "course.deleted" and data.get("course_id"):
                room = course_stream(uuid.UUID(str(data["course_id"])))
                users |= {
                    s.identity.user_id for s in self.hub.clients.values() if room in s.streams
                }
        except ValueError:
            pass
        return users

    async def refresh(self, user_id: uuid.UUID, start: dict[str, int] | None = None) -> None:
        states = [s for s in self.hub.of_user(user_id) if s.namespace == rules.USER_NAMESPACE]
        if not states:
            return
        streams = await access.user_streams(pool=self.app[PG_POOL], user_id=user_id)
        sio = self.hub.sio
        for state in states:
            if state.closing:
                continue
            added, removed = streams - state.streams, state.streams - streams
            lost = {w for w, course in state.watching.items()
                    if course_staff_stream(course) not in streams}  # fmt: skip
            for stream in removed | lost:
                await sio.leave_room(state.sid, stream, namespace=state.namespace)
                state.watching.pop(stream, None)
                state.last.pop(stream, None)
            state.streams = set(streams)
            if added:
                state.holding = True  # before joining, so nothing live slips past
                for stream in added:
                    await sio.enter_room(state.sid, stream, namespace=state.namespace)
                await self.hub.replay.request(state, {s: (start or {}).get(s) for s in added})
            if added or removed or lost:
                self.hub.send(
                    state,
                    "session.rooms",
                    {"joined": sorted(added), "left": sorted(removed | lost)},
                )
