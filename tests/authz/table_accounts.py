"""Accounts (signed out and signed in), profiles, devices, notifications, and the public files
and documents. The sign-in routes do not read a bearer token at all: each row sends everyone the
same body (an unknown address or a made-up token), so every column gets the same answer."""

from __future__ import annotations

import uuid

from tests.authz.model import Row, no, public, user_route

AUTH = "/api/v1/auth"
ME = "/api/v1/users/me"
PASSWORD = "correct horse battery staple"
NOT_MINE = no(404, "notification_not_found")


def unknown() -> str:
    """An address nobody has (a new one per call: the per-address rate limits stay out)."""
    return f"nobody-{uuid.uuid4().hex[:8]}@example.com"


def new_email(_: object) -> dict[str, str]:
    return {"email": unknown(), "password": PASSWORD, "name": "Newcomer"}


TITLE = "Accounts, profiles, devices, notifications, public files"
ROWS = [
    Row("GET", "/healthz", "nothing", public()),
    Row("GET", "/readyz", "nothing", public()),
    Row("GET", "/api/openapi.json", "nothing", public()),
    Row("GET", "/api/docs", "nothing", public()),
    Row("GET", "/api/docs/{asset}", "docs_asset", public()),
    # The admin console's page and files are static; its data comes from /api/v1/admin.
    Row("GET", "/admin", "nothing", public()),
    Row("GET", "/admin/", "nothing", public()),
    Row("GET", "/admin/{asset:.+}", "console_asset", public()),
    Row("GET", "/files/local/{bucket}/{key:.+}", "photo", public()),
    Row("POST", AUTH + "/register", "nothing", public(), body=new_email),
    Row("POST", AUTH + "/verify-email", "nothing", public(no(422, "invalid_pin")),
        body=lambda _: {"email": unknown(), "pin": "123456"}),
    Row("POST", AUTH + "/verify-email/resend", "nothing", public(),
        body=lambda _: {"email": unknown()}),
    Row("POST", AUTH + "/login", "nothing", public(no(401, "invalid_credentials")),
        body=lambda _: {"email": unknown(), "password": PASSWORD}),
    Row("POST", AUTH + "/refresh", "nothing", public(no(401, "invalid_refresh_token")),
        body={"refresh_token": "made-up"}),
    Row("POST", AUTH + "/logout", "nothing", public(), body={"refresh_token": "made-up"}),
    Row("POST", AUTH + "/google", "nothing", public(no(401, "invalid_google_token")),
        body={"id_token": "made-up"}),
    Row("POST", AUTH + "/google/link", "nothing", public(no(401, "invalid_google_token")),
        body={"id_token": "made-up", "password": PASSWORD}),
    Row("POST", AUTH + "/password/forgot", "nothing", public(),
        body=lambda _: {"email": unknown()}),
    Row("POST", AUTH + "/password/reset", "nothing", public(no(422, "invalid_reset_token")),
        body={"token": "made-up", "new_password": PASSWORD}),
    Row("GET", ME, "nothing", user_route()),
    Row("PATCH", ME, "nothing", user_route(), body={"bio": "Hello."}),
    Row("POST", ME + "/password", "nothing", user_route(set(), no(403, "invalid_current_password")),
        body={"current_password": "not my password", "new_password": PASSWORD},
        note="with a wrong current password (a right one would end the caller's session)"),
    Row("PUT", ME + "/photo", "nothing", user_route(), body="PHOTO"),
    Row("DELETE", ME + "/photo", "nothing", user_route()),
    Row("POST", ME + "/devices", "nothing", user_route(),
        body=lambda _: {"token": f"device-{uuid.uuid4().hex}", "platform": "ios"}),
    Row("DELETE", ME + "/devices/{token}", "device",
        user_route({"student"}, no(404, "device_not_found")), fresh=True),
    Row("GET", "/api/v1/users", "nothing", user_route(), params={"q": "Sam"}),
    Row("GET", "/api/v1/users/{user_id}", "student", user_route()),
    Row("GET", "/api/v1/notifications", "nothing", user_route()),
    Row("GET", "/api/v1/notifications/unread-count", "nothing", user_route()),
    Row("POST", "/api/v1/notifications/{notification_id}/read", "notification",
        user_route({"student"}, NOT_MINE)),
    Row("POST", "/api/v1/notifications/read-all", "nothing", user_route(), body={}),
    Row("DELETE", "/api/v1/notifications/{notification_id}", "notification",
        user_route({"student"}, NOT_MINE), fresh=True),
    Row("GET", ME + "/notification-preferences", "nothing", user_route()),
    Row("PUT", ME + "/notification-preferences", "nothing", user_route(), body={}),
    Row("GET", "/api/v1/notifications/deliveries", "nothing", user_route()),
]  # fmt: skip
