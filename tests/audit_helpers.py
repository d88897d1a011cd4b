"""Reading the audit records a request left in the outbox, for the audit tests."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

import asyncpg

from server.domain.audit import AUDIT_EVENT_TYPE
from server.stores import outbox

_ids = itertools.count(1)


def request_id() -> str:
    """A fresh X-Request-ID, so a test can pick out what one request recorded."""
    return f"req-{uuid.uuid4().hex[:8]}-{next(_ids)}"


def traced(headers: dict[str, str], rid: str) -> dict[str, str]:
    return {**headers, "X-Request-ID": rid}


def user_actor(user_id: Any) -> dict[str, Any]:
    return {"kind": "user", "id": str(user_id)}


async def audit_entries(db: asyncpg.Connection, rid: str | None = None) -> list[dict[str, Any]]:
    """Every audit record (or those of one request), as `{action, target, changes, actor, ip,
    request_id}`, in recording order."""
    entries = []
    for row in await outbox.recorded(db, type=AUDIT_EVENT_TYPE):
        entry = {**json.loads(row["data"]), **json.loads(row["context"])}
        if rid is None or entry["request_id"] == rid:
            entries.append(entry)
    return entries


async def the_audit(db: asyncpg.Connection, rid: str, action: str) -> dict[str, Any]:
    """The one `action` the request `rid` recorded, from the test client's address; its target
    kind is the action's first word (`course.update` targets a course)."""
    found = [e for e in await audit_entries(db, rid) if e["action"] == action]
    assert len(found) == 1, f"{action} in {await audit_entries(db, rid)}"
    entry = found[0]
    assert entry["ip"] == "127.0.0.1" and entry["request_id"] == rid
    assert entry["target"]["kind"] == action.split(".")[0]
    return entry


async def actions_of(db: asyncpg.Connection, rid: str) -> list[str]:
    return [e["action"] for e in await audit_entries(db, rid)]
