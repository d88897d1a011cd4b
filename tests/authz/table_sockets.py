"""Socket.IO: connecting to each namespace, then each client event. A caller whose connection
was refused sends no event: its cells repeat the refusal's code. Events are acknowledged with
`{"ok": true, ...}` or `{"ok": false, "error": {"code", ...}}` (the code is the cell)."""

from __future__ import annotations

from tests.authz.model import EVENT_OK, ROLES, SIGNED_IN, STAFF, Outcome, Row

USER_REFUSALS = {
    "anonymous": Outcome(0, "token_missing"),
    "unverified": Outcome(0, "email_not_verified"),
    "blocked": Outcome(0, "account_blocked"),
    "admin": Outcome(0, "token_invalid"),
}
ADMIN_REFUSALS = {
    **dict.fromkeys(ROLES, Outcome(0, "admin_required")),
    "anonymous": Outcome(0, "token_missing"),
}


def on_user_socket(allowed=SIGNED_IN, denied: Outcome | None = None) -> dict[str, Outcome]:
    out = {r: (EVENT_OK if r in allowed else denied) for r in SIGNED_IN}
    return {**USER_REFUSALS, **out}  # type: ignore[dict-item]


def on_admin_socket() -> dict[str, Outcome]:
    return {**ADMIN_REFUSALS, "admin": EVENT_OK}


TITLE = "Socket.IO namespaces and events"
ROWS = [
    Row("EVENT", "/ connect", "nothing", on_user_socket()),
    Row("EVENT", "/ watch", "assignment", on_user_socket(STAFF, Outcome(0, "not_staff")),
        body=lambda t: {"assignment_id": t["assignment_id"]}),
    Row("EVENT", "/ unwatch", "assignment", on_user_socket(),
        body=lambda t: {"assignment_id": t["assignment_id"]}),
    Row("EVENT", "/ resume", "nothing", on_user_socket(),
        body={"streams": {"global": 0}}),
    Row("EVENT", "/ ping", "nothing", on_user_socket(), body={"t": 1}),
    Row("EVENT", "/admin connect", "nothing", on_admin_socket()),
    Row("EVENT", "/admin subscribe", "nothing", on_admin_socket(), body={"actions": []}),
    Row("EVENT", "/admin resume", "nothing", on_admin_socket(),
        body={"streams": {"admin:audit": 0}}),
    Row("EVENT", "/admin ping", "nothing", on_admin_socket(), body={"t": 1}),
]  # fmt: skip
