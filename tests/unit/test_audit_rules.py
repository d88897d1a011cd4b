"""Audit records: action names, change diffs, and secrets refused at the source."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime

import pytest

from server.domain.audit import (
    AUDIT_EVENT_TYPE,
    AuditRecord,
    SecretInAudit,
    audit_event,
    changes_between,
)
from server.domain.context import SYSTEM, user_context
from server.domain.events import DomainEvent


class Level(enum.Enum):
    beginner = "beginner"
    advanced = "advanced"


def test_changes_list_only_the_fields_that_moved_as_json_values():
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    before = {"title": "A", "level": Level.beginner, "capacity": 30, "starts": at}
    after = {"title": "B", "level": Level.advanced, "capacity": 30, "starts": at}
    assert changes_between(before, after) == {
        "title": ["A", "B"],
        "level": ["beginner", "advanced"],
    }


def test_a_creation_shows_every_named_field_from_none():
    cid = uuid.uuid4()
    assert changes_between(None, {"id": cid, "title": "A", "x": 1}, fields=["id", "title"]) == {
        "id": [None, str(cid)],
        "title": [None, "A"],
    }


@pytest.mark.parametrize(
    "field", ["password", "new_password", "refresh_token", "pin", "verification_pin", "pin_hash"]
)
def test_secret_fields_are_refused(field):
    with pytest.raises(SecretInAudit):
        AuditRecord("user.update", "user", "u1", {field: [None, "x"]})


@pytest.mark.parametrize("field", ["pinned", "spinner", "title", "email"])
def test_ordinary_fields_pass(field):
    AuditRecord("user.update", "user", "u1", {field: [None, "x"]})


@pytest.mark.parametrize("action", ["block", "User.block", "user.", "user.block.now"])
def test_actions_are_target_dot_verb(action):
    with pytest.raises(ValueError):
        AuditRecord(action, "user", "u1")


def test_an_audit_event_has_no_audience_but_other_events_must():
    at = datetime(2026, 1, 5, tzinfo=UTC)
    ev = audit_event(AuditRecord("course.update", "course", "c1", {"title": ["A", "B"]}), at=at)
    assert ev.type == AUDIT_EVENT_TYPE and ev.streams == ()
    assert ev.data == {
        "action": "course.update",
        "target": {"kind": "course", "id": "c1"},
        "changes": {"title": ["A", "B"]},
    }
    with pytest.raises(ValueError):
        DomainEvent(type="course.updated", streams=(), data={}, occurred_at=at)


def test_contexts_say_who_acted():
    uid = uuid.uuid4()
    ctx = user_context(uid, ip="10.0.0.1", request_id="r1")
    assert ctx.actor_id == uid
    assert ctx.as_dict() == {
        "actor": {"kind": "user", "id": str(uid)},
        "ip": "10.0.0.1",
        "request_id": "r1",
    }
    with pytest.raises(ValueError):
        SYSTEM.actor_id  # noqa: B018
