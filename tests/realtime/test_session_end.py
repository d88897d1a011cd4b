"""Logging out, or a reused refresh token revoking its family, ends the session at once: the
access tokens stop working on REST and the open sockets are told and disconnected, as after a
password reset. Signed in through the real HTTP flow, watched with a real socket client."""

from __future__ import annotations

import asyncio

import pytest

from server.keys import SETTINGS
from tests.accounts_flow import bearer, login, signup
from tests.course_helpers import API

ME = f"{API}/users/me"


async def _status(client, session: dict) -> tuple[int, str | None]:
    resp = await client.get(ME, headers=bearer(session))
    body = await resp.json()
    return resp.status, body.get("error", {}).get("code")


async def _ended(rec) -> str:
    ended = await rec.wait_for("session.ended")
    await rec.wait_until(lambda: not rec.sio.connected)
    return ended[0]["code"]


@pytest.fixture
def slow_sweep(client):
    # Only the NOTIFY of the change can drop the sockets in time, not the periodic sweep.
    client.app[SETTINGS].realtime_auth_sweep_seconds = 600


async def test_logout_ends_the_access_token_and_the_sockets(
    client, settings, sockets, users, slow_sweep
):
    session = await signup(client, settings.data_dir, "ana@example.com")
    rec = await sockets().connect(session["access_token"])
    bystander = await users.create("Bob")
    other = await sockets().connect(bystander.token)
    assert await _status(client, session) == (200, None)
    await asyncio.sleep(0.3)  # the sweep loop is in its long wait

    resp = await client.post(f"{API}/auth/logout", json={"refresh_token": session["refresh_token"]})
    assert resp.status in (200, 204)
    assert await _ended(rec) == "token_revoked"
    assert await _status(client, session) == (401, "token_revoked")
    refresh = await client.post(
        f"{API}/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refresh.status == 401
    assert other.sio.connected and other.of("session.ended") == []
    # Signing in again starts a fresh session that works.
    again = await login(client, "ana@example.com")
    assert await _status(client, again) == (200, None)


async def test_a_reused_refresh_token_ends_every_token_of_its_family(
    client, settings, sockets, slow_sweep
):
    first = await signup(client, settings.data_dir, "ana@example.com")
    resp = await client.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert resp.status == 200
    rotated = await resp.json()
    rec = await sockets().connect(rotated["access_token"])
    await asyncio.sleep(0.3)

    # Someone replays the spent token (it was copied): the family is revoked...
    replay = await client.post(
        f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert (await replay.json())["error"]["code"] == "refresh_token_reused"
    # ...and with it the access tokens already handed out, and the live socket.
    assert await _ended(rec) == "token_revoked"
    for session in (first, rotated):
        assert await _status(client, session) == (401, "token_revoked")
