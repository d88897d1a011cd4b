"""Bearer authentication on a real route: missing, expired, revoked, blocked, deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import web

from server.handlers.auth_context import require_user


async def whoami(request: web.Request) -> web.Response:
    principal = await require_user(request)
    return web.json_response({"user_id": str(principal.user_id)})


@pytest.fixture
def app(app: web.Application) -> web.Application:
    app.router.add_get("/probe/whoami", whoami)
    return app


async def code(client, headers: dict[str, str]) -> tuple[int, str | None]:
    resp = await client.get("/probe/whoami", headers=headers)
    body = await resp.json()
    return resp.status, body.get("error", {}).get("code")


async def test_valid_token_names_the_user(client, users):
    ana = await users.create("Ana")
    resp = await client.get("/probe/whoami", headers=ana.headers)
    assert resp.status == 200 and (await resp.json())["user_id"] == str(ana.id)


async def test_missing_and_malformed(client):
    assert await code(client, {}) == (401, "unauthenticated")
    assert await code(client, {"Authorization": "Basic abc"}) == (401, "unauthenticated")
    assert await code(client, {"Authorization": "Bearer junk"}) == (401, "token_invalid")


async def test_expired_by_the_app_clock(client, users, clock):
    ana = await users.create()
    clock.advance(timedelta(minutes=16))
    assert await code(client, ana.headers) == (401, "token_expired")


async def test_version_bump_revokes_and_status_refuses(client, users, db):
    ana, bob, cy = await users.create(), await users.create(), await users.create()
    await db.execute("UPDATE users SET token_version = token_version + 1 WHERE id = $1", ana.id)
    await db.execute("UPDATE users SET status = 'blocked' WHERE id = $1", bob.id)
    await db.execute("UPDATE users SET status = 'deleted' WHERE id = $1", cy.id)
    assert await code(client, ana.headers) == (401, "token_revoked")
    assert await code(client, bob.headers) == (401, "account_blocked")
    assert await code(client, cy.headers) == (401, "token_revoked")
