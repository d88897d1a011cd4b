"""The two realms, walking the route table so a new route cannot be missed: every admin route
refuses a user token with 403, and every user route refuses an admin token (401 or 403)."""

from __future__ import annotations

import re

import pytest

from server.keys import ENDPOINTS

ADMIN_PREFIX = "/api/v1/admin/"
_PARAM = re.compile(r"{(\w+)(?::[^}]+)?}")
SOME_ID = "00000000-0000-4000-8000-000000000000"


def concrete(path: str) -> str:
    return _PARAM.sub(SOME_ID, path)


def routes(app, *, admin: bool) -> list[tuple[str, str]]:
    found = [
        (ep.method, ep.path)
        for ep in app[ENDPOINTS]
        if ep.auth and ep.path.startswith(ADMIN_PREFIX) == admin
    ]
    assert found
    return found


async def call(client, method: str, path: str, token: str):
    return await client.request(
        method, concrete(path), json={}, headers={"Authorization": f"Bearer {token}"}
    )


async def test_every_admin_route_refuses_a_user_token(client, app, users):
    user = await users.create()
    for method, path in routes(app, admin=True):
        resp = await call(client, method, path, user.token)
        assert resp.status == 403, (method, path, resp.status)
        assert (await resp.json())["error"]["code"] == "admin_required", (method, path)


async def test_every_user_route_refuses_an_admin_token(client, app, admins):
    admin = await admins.create()
    for method, path in routes(app, admin=False):
        resp = await call(client, method, path, admin.token)
        assert resp.status in (401, 403), (method, path, resp.status)


async def test_admin_routes_are_all_under_the_admin_prefix_or_public_auth(app):
    """Routes without a bearer check are only the login family (and health, docs, files)."""
    public_admin = {ep.path for ep in app[ENDPOINTS] if ep.path.startswith(ADMIN_PREFIX)
                    and not ep.auth}  # fmt: skip
    assert public_admin == {f"{ADMIN_PREFIX}auth/{x}" for x in ("login", "refresh", "logout")}


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
async def test_admin_routes_refuse_missing_and_broken_tokens_with_401(client, app, token):
    for method, path in routes(app, admin=True):
        resp = await client.request(
            method, concrete(path), json={}, headers={"Authorization": f"Bearer {token}"}
        )
        assert resp.status == 401, (method, path, resp.status)
