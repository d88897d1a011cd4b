"""Who caused a change, from where: stamped on every event a unit of work records.

The audit consumer derives its entries from this, so it never has to trust a handler to say it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

ActorKind = Literal["user", "admin", "system"]


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: uuid.UUID | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": str(self.id) if self.id else None}


@dataclass(frozen=True, slots=True)
class RequestContext:
    actor: Actor
    ip: str | None = None
    request_id: str | None = None

    @property
    def actor_id(self) -> uuid.UUID:
        """The acting user's or admin's id; a system context has none."""
        if self.actor.id is None:
            raise ValueError("a system context has no actor id")
        return self.actor.id

    def as_dict(self) -> dict[str, Any]:
        return {"actor": self.actor.as_dict(), "ip": self.ip, "request_id": self.request_id}

    def as_user(self, user_id: uuid.UUID) -> RequestContext:
        """An anonymous request whose caller turned out to be `user_id` (a login, a PIN, a
        reset token). Only an anonymous context may become one; a user stays who they are."""
        if self.actor.kind == "user" and self.actor.id == user_id:
            return self
        if self.actor.kind != "system" or self.actor.id is not None:
            raise ValueError(f"a {self.actor.kind} context cannot act as another user")
        return user_context(user_id, ip=self.ip, request_id=self.request_id)


SYSTEM = RequestContext(Actor("system"))


def anonymous_context(*, ip: str | None, request_id: str | None = None) -> RequestContext:
    """A request with no signed-in caller (sign-up, login, password recovery): a system actor
    with the client's address, until the caller proves who they are (`as_user`)."""
    return RequestContext(Actor("system"), ip=ip, request_id=request_id)


def user_context(
    user_id: uuid.UUID, *, ip: str | None = None, request_id: str | None = None
) -> RequestContext:
    return RequestContext(Actor("user", user_id), ip=ip, request_id=request_id)


def admin_context(
    admin_id: uuid.UUID, *, ip: str | None = None, request_id: str | None = None
) -> RequestContext:
    return RequestContext(Actor("admin", admin_id), ip=ip, request_id=request_id)
