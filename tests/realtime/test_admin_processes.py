"""Real processes: `classconnect create-admin` against configured stores and against a running
`serve` on the embedded defaults, and a block made on one process cutting a socket held by
another (two processes over the real Redis)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import socketio
from pymongo import AsyncMongoClient

from server.stores import outbox
from tests.realtime.conftest import Recorder
from tests.realtime.test_processes import env, make_user, redis_env, servers, token_for  # noqa: F401

PASSWORD = "a long admin passphrase"


def create_admin(
    environment: dict[str, str], email: str, password: str = PASSWORD
) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "create-admin", "--email", email, "--name", "Root",
         "--password-stdin"],
        input=password + "\n", env={**os.environ, **environment}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def admin_login(base: str, email: str) -> dict:
    status, body = post(f"{base}/api/v1/admin/auth/login", {"email": email, "password": PASSWORD})
    assert status == 200, body
    return body


async def test_create_admin_against_configured_stores(env, db, mongo_url):  # noqa: F811
    code, out = await asyncio.to_thread(create_admin, env, "Root@Example.com")
    assert code == 0, out
    assert "admin created" in out
    client: AsyncMongoClient = AsyncMongoClient(mongo_url)
    try:
        doc = await client[env["MONGODB_DATABASE"]].admins.find_one({"email": "root@example.com"})
    finally:
        await client.close()
    assert doc["status"] == "active" and doc["name"] == "Root"
    [audit] = await outbox.recorded(db, type="audit.recorded")
    assert json.loads(audit["data"])["action"] == "admin.create"
    assert json.loads(audit["context"])["actor"] == {"kind": "system", "id": None}
    code, out = await asyncio.to_thread(create_admin, env, "root@example.com")
    assert code == 1 and "email_taken" in out
    code, out = await asyncio.to_thread(create_admin, env, "other@example.com", "short")
    assert code == 1 and "weak_password" in out
    code, out = await asyncio.to_thread(create_admin, env, "not-an-email")
    assert code == 2 and "email" in out


async def test_create_admin_finds_the_stores_of_a_running_embedded_server(
    tmp_path: Path,
    servers,  # noqa: F811
):
    embedded = {
        "DATABASE_URL": "", "MONGODB_URL": "", "REDIS_URL": "",
        "DATA_DIR": str(tmp_path / "var"), "JWT_SECRET": "embedded-" + "z" * 40,
    }  # fmt: skip
    server = await asyncio.to_thread(servers, embedded, "embedded")
    endpoint = json.loads((tmp_path / "var" / "mongo.endpoint.json").read_text())
    assert endpoint["pid"] == server.proc.pid
    code, out = await asyncio.to_thread(create_admin, embedded, "root@example.com")
    assert code == 0, out
    session = await asyncio.to_thread(admin_login, server.url, "root@example.com")
    assert session["admin"]["email"] == "root@example.com"
    assert server.proc.poll() is None  # the CLI stopped nothing of the server's
    assert await asyncio.to_thread(server.stop) == 0
    assert not (tmp_path / "var" / "mongo.endpoint.json").exists()


async def test_a_block_on_one_process_cuts_a_socket_on_another_within_a_second(
    redis_env,  # noqa: F811
    servers,  # noqa: F811
    db,
):
    a = servers({**redis_env, "REALTIME_RELAY_ENABLED": "false"}, "a")
    b = servers(redis_env, "b")
    code, out = await asyncio.to_thread(create_admin, redis_env, "root@example.com")
    assert code == 0, out
    session = await asyncio.to_thread(admin_login, b.url, "root@example.com")
    user = await make_user(db)
    rec = await Recorder(a.url).connect(token_for(user))
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    started = time.monotonic()
    status, body = await asyncio.to_thread(
        post, f"{b.url}/api/v1/admin/users/{user}/block", {"reason": "spam"}, headers
    )
    assert status == 200, body
    ended = await rec.wait_for("session.ended", within=1.0)
    await rec.wait_until(lambda: not rec.sio.connected, within=1.0)
    assert time.monotonic() - started < 1.0
    assert ended[0]["reason"] == "account_blocked"
    refused = Recorder(a.url)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(token_for(user))
    assert refused.refusal["data"]["code"] == "account_blocked"
