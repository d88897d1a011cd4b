"""The /admin namespace's own behaviour: the narrowed audit feed (`subscribe`) and ending the
sockets of an admin who was removed (on every process, as soon as `admin.removed` is relayed)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from server.domain import realtime as rules
from server.domain.admin_audit import AuditSubscribe, feed_accepts
from server.domain.events import ADMIN_AUDIT_STREAM
from server.realtime.hub import Hub
from server.stores.admin_audit import LIVE_EVENT


def audit_filter(subscription: AuditSubscribe) -> Callable[[Any], bool]:
    """Accepts every packet but the audit entries the subscription leaves out."""

    def accepts(source: Any) -> bool:
        if not (
            isinstance(source, dict)
            and source.get("stream") == ADMIN_AUDIT_STREAM
            and source.get("type") == LIVE_EVENT
        ):
            return True
        return feed_accepts(subscription, source.get("data") or {})

    return accepts


class RemovedAdminWatcher:
    """`admin.removed` ends that admin's sockets here (the sweep would, but only later)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def __call__(self, envelope: dict[str, Any]) -> None:
        if envelope["type"] != "admin.removed":
            return
        try:
            admin_id = uuid.UUID(str((envelope.get("data") or {}).get("admin_id")))
        except ValueError:
            return
        for state in self.hub.of_user(admin_id):
            if state.namespace == rules.ADMIN_NAMESPACE:
                await self.hub.end(
                    state, "admin_removed", rules.ADMIN_SESSION_ENDED["admin_removed"]
                )
