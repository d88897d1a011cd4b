"""The shape of the authorization table: who calls (roles), what they get (outcomes), and one
row per route or socket event. The rows live in tests/authz/table_*.py; docs/authorization.md is
rendered from them (tests/authz/doc.py) and tests/test_authorization_matrix.py walks them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Columns, in order. Who each one is, relative to the row's target, is in docs/authorization.md.
ROLES = (
    "anonymous",
    "unverified",
    "blocked",
    "stranger",
    "student",
    "assistant_without",
    "assistant_with",
    "owner",
    "admin",
)
HEADINGS = {
    "anonymous": "anonymous",
    "unverified": "unverified",
    "blocked": "blocked",
    "stranger": "stranger",
    "student": "student",
    "assistant_without": "assistant without",
    "assistant_with": "assistant with",
    "owner": "owner",
    "admin": "admin",
}
STAFF = frozenset({"assistant_without", "assistant_with", "owner"})
EDITORS = frozenset({"assistant_with", "owner"})
MEMBERS = STAFF | {"student"}
SIGNED_IN = MEMBERS | {"stranger"}


@dataclass(frozen=True)
class Outcome:
    """Served (`code` None: any 2xx, or `ok` on a socket) or refused with `status` and `code`
    (status 0 on a socket: the acknowledgement's or the refused connection's code)."""

    status: int = 200
    code: str | None = None

    @property
    def served(self) -> bool:
        return self.code is None

    def text(self) -> str:
        if self.served:
            return "2xx" if self.status else "ok"
        return f"{self.status} {self.code}" if self.status else self.code  # type: ignore[return-value]


SERVED = Outcome()
EVENT_OK = Outcome(0)


def no(status: int, code: str) -> Outcome:
    return Outcome(status, code)


# A user route's refusals of the callers that are not an active user.
USER_GATE = {
    "anonymous": no(401, "unauthenticated"),
    "unverified": no(401, "email_not_verified"),
    "blocked": no(401, "account_blocked"),
    "admin": no(401, "token_invalid"),  # an admin token is not for the user API
}
FORBIDDEN = no(403, "forbidden")


def user_route(
    allowed: frozenset[str] | set[str] = SIGNED_IN, denied: Outcome = FORBIDDEN, **special: Outcome
) -> dict[str, Outcome]:
    """Signed-in users in `allowed` are served, the other signed-in ones get `denied`."""
    out = {r: (SERVED if r in allowed else denied) for r in SIGNED_IN}
    return {**USER_GATE, **out, **special}


def admin_route(**special: Outcome) -> dict[str, Outcome]:
    users = {r: no(403, "admin_required") for r in ROLES}
    return {**users, "anonymous": no(401, "unauthenticated"), "admin": SERVED, **special}


def public(outcome: Outcome = SERVED) -> dict[str, Outcome]:
    """A route that does not read the bearer token: everybody gets the same."""
    return dict.fromkeys(ROLES, outcome)


@dataclass(frozen=True)
class Row:
    """One route (`method`, `path` as in the route table) or socket event (`method` "EVENT",
    `path` "<namespace> <event>"). `target` names what the call acts on (tests/authz/world.py);
    `fresh`: every served call gets a new target (the call changes or consumes it)."""

    method: str
    path: str
    target: str
    outcomes: Mapping[str, Outcome]
    body: Any = None
    params: Mapping[str, str] = field(default_factory=dict)
    permission: str | None = None
    fresh: bool = False
    note: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def __post_init__(self) -> None:
        missing = set(ROLES) - set(self.outcomes)
        assert not missing, f"{self.method} {self.path}: no outcome for {sorted(missing)}"
