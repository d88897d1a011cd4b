"""A socket's rooms without scanning every room.

python-socketio finds the rooms of a socket by walking every room of the namespace (each
socket has a room of its own, so that is at least one per connected socket): `disconnect` and
`get_rooms` cost O(sockets), and 2,000 sockets leaving together cost O(n^2) while others were
still catching up. This keeps `(namespace, sid) -> rooms` beside python-socketio's own
`rooms[namespace][room] -> {sid: eio_sid}`, updated by the only two methods that change it.
"""

from __future__ import annotations

from typing import Any

import socketio


class IndexedRoomsMixin(socketio.base_manager.BaseManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rooms_of: dict[tuple[str, str], set[Any]] = {}

    def basic_enter_room(
        self, sid: str, namespace: str, room: Any, eio_sid: str | None = None
    ) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        rooms = self._rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self._rooms_of[namespace, sid]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        # python-socketio's own, but leaving only the socket's rooms (its `None` and sid rooms
        # included) instead of testing every room of the namespace.
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            if sid in pending.get(namespace, ()):
                pending[namespace].remove(sid)
                if not pending[namespace]:
                    del pending[namespace]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        return [r for r in self._rooms_of.get((namespace, sid), ()) if r is not None]
