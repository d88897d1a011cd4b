"""What an audit entry says about a change: the action, its target and the fields that moved.

Entries are derived from what a unit of work records (server/services/unit_of_work.py): a use
case names the action and its changes; who did it, from where, comes from the request context.
Secrets never enter: a change to a field whose name marks a secret is refused here, at the
source, rather than filtered later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.domain.events import DomainEvent

# The outbox type of an audit record; it has no stream (nothing is fanned out from it directly).
AUDIT_EVENT_TYPE = "audit.recorded"

_ACTION = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
_SECRET = re.compile(r"password|token|secret|pin\b|pin_|_pin|hash|otp|credential", re.I)


class SecretInAudit(ValueError):
    """A use case tried to put a secret into the audit log (a programming error)."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    action: str  # "<target>.<verb>": user.block, course.update, grade.publish
    target_kind: str
    target_id: str
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field -> [before, after]

    def __post_init__(self) -> None:
        if not _ACTION.match(self.action):
            raise ValueError(f"audit action {self.action!r} is not '<target>.<verb>'")
        for name in self.changes:
            if _SECRET.search(name):
                raise SecretInAudit(f"audit changes may not carry {name!r}")

    def as_data(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "target": {"kind": self.target_kind, "id": self.target_id},
            "changes": self.changes,
        }


def changes_between(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], fields: Iterable[str] | None = None
) -> dict[str, list[Any]]:
    """`{field: [before, after]}` for the fields whose value differs (all of `after`'s by default).

    A creation passes `before=None`: every field shows as `[None, value]`.
    """
    before = before or {}
    names = list(fields) if fields is not None else list(after)
    return {
        name: [_plain(before.get(name)), _plain(after.get(name))]
        for name in names
        if name in after and before.get(name) != after.get(name)
    }


def _plain(value: Any) -> Any:
    """JSON-ready values: the outbox stores changes as JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "value"):  # enums
        return _plain(value.value)
    return str(value)


def audit_event(record: AuditRecord, *, at: datetime) -> DomainEvent:
    return DomainEvent(type=AUDIT_EVENT_TYPE, streams=(), data=record.as_data(), occurred_at=at)
