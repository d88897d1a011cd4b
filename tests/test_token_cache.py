"""Cached token checks still see revocations at once, across the real LISTEN/NOTIFY path."""

from __future__ import annotations

import asyncio

from server.jobs.token_cache_listener import APPLICATION_NAME
from server.keys import TOKEN_CACHE


async def status_until(client, headers, expected: int, seconds: float = 3.0) -> int:
    """Notifications arrive asynchronously; give them a moment, never a fixed sleep."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        status = (await client.get("/api/v1/users/me", headers=headers)).status
        if status == expected or asyncio.get_running_loop().time() > deadline:
            return status
        await asyncio.sleep(0.02)


async def wait_live(app, live: bool = True) -> None:
    for _ in range(300):
        if app[TOKEN_CACHE].live is live:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"token cache never became live={live}")


async def test_second_request_is_served_from_the_cache(client, app, users):
    await wait_live(app)
    ana = await users.create()
    assert (await client.get("/api/v1/users/me", headers=ana.headers)).status == 200
    hits = app[TOKEN_CACHE].stats.hits
    assert (await client.get("/api/v1/users/me", headers=ana.headers)).status == 200
    assert app[TOKEN_CACHE].stats.hits == hits + 1


async def test_revocation_and_blocking_reach_a_warm_cache(client, app, users, db):
    await wait_live(app)
    ana, bob = await users.create(), await users.create()
    for u in (ana, bob):
        assert (await client.get("/api/v1/users/me", headers=u.headers)).status == 200
    await db.execute("UPDATE users SET token_version = token_version + 1 WHERE id = $1", ana.id)
    await db.execute("UPDATE users SET status = 'blocked' WHERE id = $1", bob.id)
    assert await status_until(client, ana.headers, 401) == 401
    assert await status_until(client, bob.headers, 401) == 401


async def test_without_the_listener_every_request_reads_postgres(client, app, users, db):
    await wait_live(app)
    ana = await users.create()
    assert (await client.get("/api/v1/users/me", headers=ana.headers)).status == 200
    await db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 "
        "AND datname = current_database()",
        APPLICATION_NAME,
    )
    await wait_live(app, live=False)
    await db.execute("UPDATE users SET token_version = token_version + 1 WHERE id = $1", ana.id)
    # Even if the notification is lost with the connection, nothing stale is served.
    assert (await client.get("/api/v1/users/me", headers=ana.headers)).status == 401
    await wait_live(app)  # and it comes back by itself


async def test_an_unverified_account_s_token_is_refused_and_verification_reaches_the_cache(
    client, app, users, db
):
    """No route issues a token before the address is proved; one made anyway is refused
    (`email_not_verified`), and proving the address is announced like any token-state change."""
    await wait_live(app)
    una = await users.create()
    await db.execute("UPDATE users SET email_verified = false WHERE id = $1", una.id)
    assert await status_until(client, una.headers, 401) == 401
    resp = await client.get("/api/v1/users/me", headers=una.headers)
    assert (await resp.json())["error"]["code"] == "email_not_verified"
    await db.execute("UPDATE users SET email_verified = true WHERE id = $1", una.id)
    assert await status_until(client, una.headers, 200) == 200
