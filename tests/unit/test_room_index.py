"""The manager's sid -> rooms index agrees with python-socketio's own room table."""

from __future__ import annotations

from server.realtime.managers import FanoutManager


def connect(manager: FanoutManager, sid: str, *rooms: str) -> None:
    manager.basic_enter_room(sid, "/", None, eio_sid="e" + sid)
    manager.basic_enter_room(sid, "/", sid, eio_sid="e" + sid)
    for room in rooms:
        manager.basic_enter_room(sid, "/", room)


def test_disconnect_leaves_exactly_the_sockets_rooms():
    manager = FanoutManager()
    connect(manager, "a", "course:1", "user:a")
    connect(manager, "b", "course:1", "user:b")
    manager.pending_connect["/"] = ["a"]
    manager.callbacks["a"] = {0: None}

    assert sorted(manager.get_rooms("a", "/")) == ["a", "course:1", "user:a"]
    manager.basic_disconnect("a", "/")

    assert manager.get_rooms("a", "/") == []
    assert set(manager.rooms["/"]) == {None, "b", "course:1", "user:b"}  # a's own rooms gone
    assert dict(manager.rooms["/"]["course:1"]) == {"b": "eb"}
    assert "a" not in manager.callbacks and "/" not in manager.pending_connect


def test_leaving_and_closing_rooms_keep_the_index_true():
    manager = FanoutManager()
    connect(manager, "a", "course:1", "course:2")
    connect(manager, "b", "course:2")
    manager.basic_leave_room("a", "/", "course:1")
    manager.basic_close_room("course:2", "/")
    assert manager.get_rooms("a", "/") == ["a"]
    assert manager.get_rooms("b", "/") == ["b"]
    manager.basic_disconnect("b", "/")
    assert set(manager.rooms["/"]) == {None, "a"}
