"""Administration (admin-realm tokens only) and the platform rules users accept."""

from __future__ import annotations

import uuid

from tests.authz.model import Row, admin_route, no, public, user_route
from tests.authz.table_accounts import unknown

ADMIN = "/api/v1/admin"
RULE = {"title": "Conduct", "description": "Be kind.", "effective_from": "2026-02-01T00:00:00Z"}


def new_admin(_: object) -> dict[str, str]:
    return {"email": f"admin-{uuid.uuid4().hex[:8]}@example.com", "name": "Another Admin",
            "password": "correct horse battery"}  # fmt: skip


TITLE = "Administration and platform rules"
ROWS = [
    Row("POST", ADMIN + "/auth/login", "nothing", public(no(401, "invalid_credentials")),
        body=lambda _: {"email": unknown(), "password": "correct horse battery"}),
    Row("POST", ADMIN + "/auth/refresh", "nothing", public(no(401, "invalid_refresh_token")),
        body={"refresh_token": "made-up"}),
    Row("POST", ADMIN + "/auth/logout", "nothing", public(), body={"refresh_token": "made-up"}),
    Row("POST", ADMIN + "/admins", "nothing", admin_route(), body=new_admin),
    Row("GET", ADMIN + "/admins", "nothing", admin_route()),
    Row("DELETE", ADMIN + "/admins/{admin_id}", "other_admin", admin_route(), fresh=True),
    Row("GET", ADMIN + "/users", "nothing", admin_route()),
    Row("GET", ADMIN + "/users/{user_id}", "student", admin_route()),
    Row("POST", ADMIN + "/users/{user_id}/block", "new_user", admin_route(),
        body={"reason": "spam"}, fresh=True),
    Row("POST", ADMIN + "/users/{user_id}/unblock", "new_blocked_user", admin_route(),
        fresh=True),
    Row("PATCH", ADMIN + "/users/{user_id}/permissions", "student", admin_route(),
        body={"can_post_forum": True}),
    Row("POST", ADMIN + "/rules", "nothing", admin_route(), body=RULE),
    Row("GET", ADMIN + "/rules", "nothing", admin_route()),
    Row("GET", ADMIN + "/rules/{rule_id}", "rule", admin_route()),
    Row("PATCH", ADMIN + "/rules/{rule_id}", "rule", admin_route(), body={"title": "Respect"}),
    Row("DELETE", ADMIN + "/rules/{rule_id}", "rule", admin_route(), fresh=True),
    Row("GET", ADMIN + "/rules/{rule_id}/versions", "rule", admin_route()),
    Row("GET", "/api/v1/rules", "nothing", user_route()),
    Row("POST", "/api/v1/rules/{rule_id}/accept", "rule", user_route(), body={"version": 1},
        fresh=True),
    Row("GET", ADMIN + "/audit", "nothing", admin_route()),
    Row("GET", ADMIN + "/audit/verify", "nothing", admin_route()),
    Row("GET", ADMIN + "/audit/export", "nothing", admin_route()),
    Row("GET", ADMIN + "/metrics", "nothing", admin_route()),
    Row("GET", ADMIN + "/deliveries", "nothing", admin_route()),
]  # fmt: skip
