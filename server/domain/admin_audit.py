"""The audit log's entries, their hash chain, and the admins' filters. Pure: no I/O here.

An entry is `{seq, at, actor, action, target, changes, ip, request_id, event_id, source_seq,
prev_hash, hash}` (`event_id` and `source_seq`: the outbox row it came from, and that row's
relay_seq) with `hash = sha256(prev_hash + canonical JSON of every other field)`. Canonical
JSON: sorted keys, no spaces, UTF-8, `at` in UTC with milliseconds (what Mongo keeps of a
datetime). Altering, inserting or deleting an entry breaks the chain at that seq.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from server.domain.cursors import Cursor
from server.domain.time_range import Instant
from server.domain.users import Strict

GENESIS = "0" * 64
ACTION_PATTERN = r"^[a-z][a-z_]*\.[a-z][a-z_]*$"
Action = Annotated[str, StringConstraints(pattern=ACTION_PATTERN, max_length=80)]
Kind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$", max_length=40)]
_NOT_HASHED = ("_id", "hash")


def _at(value: datetime) -> datetime:
    """Millisecond precision in UTC: what Mongo stores, so a stored entry hashes the same."""
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return _at(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical(entry: Mapping[str, Any]) -> bytes:
    body = {k: _plain(v) for k, v in entry.items() if k not in _NOT_HASHED}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(entry)).hexdigest()


def build_entry(
    *,
    seq: int,
    prev_hash: str,
    event_id: uuid.UUID | str,
    source_seq: int,
    at: datetime,
    data: Mapping[str, Any],
    context: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The entry of one `audit.recorded` outbox row (`data` = {action, target, changes};
    `context` = {actor, ip, request_id}, absent on rows recorded before contexts existed)."""
    context = context or {}
    entry = {
        "seq": seq,
        "at": _at(at),
        "actor": dict(context.get("actor") or {"kind": "system", "id": None}),
        "action": data["action"],
        "target": dict(data["target"]),
        "changes": dict(data.get("changes") or {}),
        "ip": context.get("ip"),
        "request_id": context.get("request_id"),
        "event_id": str(event_id),
        "source_seq": source_seq,
        "prev_hash": prev_hash,
    }
    entry["hash"] = entry_hash(prev_hash, entry)
    return entry


def wire(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The entry as JSON (REST, sockets, exports)."""
    return {k: _plain(v) for k, v in entry.items() if k != "_id"}


class ChainCheck:
    """Feed entries in seq order; `broken` names the first seq where the chain fails."""

    def __init__(self, *, first_seq: int, prev_hash: str | None) -> None:
        self.expected = first_seq
        self.prev_hash = prev_hash  # None: the entry before the range is missing too
        self.checked = 0
        self.broken: int | None = None
        self.reason: str | None = None

    def feed(self, entry: Mapping[str, Any]) -> bool:
        """False once broken (stop feeding)."""
        if self.broken is not None:
            return False
        seq = entry.get("seq")
        if seq != self.expected or entry.get("_id", seq) != seq:
            return self.fail(self.expected, "missing_or_reordered")
        if self.prev_hash is not None and entry.get("prev_hash") != self.prev_hash:
            return self.fail(seq, "prev_hash_mismatch")
        if entry_hash(str(entry.get("prev_hash")), entry) != entry.get("hash"):
            return self.fail(seq, "hash_mismatch")
        self.prev_hash = entry["hash"]
        self.expected += 1
        self.checked += 1
        return True

    def fail(self, seq: int, reason: str) -> bool:
        self.broken, self.reason = seq, reason
        return False


# --- admins' reads ---


class AuditFilters(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    actor_id: uuid.UUID | None = None
    action: Action | None = None
    target_kind: Kind | None = None
    target_id: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    from_: Instant | None = Field(None, alias="from", description="`at` on or after")
    to: Instant | None = Field(None, description="`at` before")


class AuditQuery(AuditFilters):
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=200)


class AuditPage(BaseModel):
    items: list[dict[str, Any]] = Field(description="Entries, newest first.")
    next_cursor: str | None


class VerifyQuery(Strict):
    from_seq: int = Field(1, ge=1)
    to_seq: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> VerifyQuery:
        if self.to_seq is not None and self.to_seq < self.from_seq:
            raise ValueError("to_seq must not be below from_seq")
        return self


class VerifyResult(BaseModel):
    ok: bool
    from_seq: int
    to_seq: int | None
    checked: int
    first_broken_seq: int | None
    reason: str | None


class ExportQuery(AuditFilters):
    format: Literal["csv", "jsonl"] = "jsonl"


CSV_COLUMNS = (
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "action",
    "target_kind",
    "target_id",
    "changes",
    "ip",
    "request_id",
    "prev_hash",
    "hash",
)


def csv_row(entry: Mapping[str, Any]) -> list[Any]:
    e = wire(entry)
    return [
        e["seq"],
        e["at"],
        e["actor"].get("kind"),
        e["actor"].get("id"),
        e["action"],
        e["target"].get("kind"),
        e["target"].get("id"),
        json.dumps(e["changes"], sort_keys=True, ensure_ascii=False),
        e["ip"],
        e["request_id"],
        e["prev_hash"],
        e["hash"],
    ]


# --- the live feed ---


class AuditSubscribe(BaseModel):
    """`subscribe` on /admin: narrow the live feed (empty `actions`: every action)."""

    model_config = ConfigDict(extra="forbid")

    actions: list[Action] = Field(default_factory=list, max_length=100)
    target_kind: Kind | None = None


def feed_accepts(subscription: AuditSubscribe, data: Mapping[str, Any]) -> bool:
    if subscription.actions and data.get("action") not in subscription.actions:
        return False
    target = data.get("target") or {}
    return subscription.target_kind is None or target.get("kind") == subscription.target_kind
