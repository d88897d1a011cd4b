"""Real `classconnect serve` processes: replay across a full restart, graceful SIGTERM, and two
processes sharing events through the real Redis on 127.0.0.1:6379."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

from server.domain.events import course_stream, user_stream
from server.domain.tokens import issue_access_token
from tests.conftest import _answers
from tests.process import ServerProcess
from tests.realtime.conftest import Recorder, make_course, record

SECRET = "process-secret-" + "y" * 40


def now() -> datetime:
    return datetime.now(UTC)


def token_for(user_id: uuid.UUID) -> str:
    return issue_access_token(
        secret=SECRET, user_id=user_id, token_version=0, now=now(), ttl=timedelta(minutes=15)
    )


async def make_user(db: asyncpg.Connection) -> uuid.UUID:
    user_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO users (id, email, name, email_verified, created_at, updated_at) "
        "VALUES ($1, $2, 'P', true, $3, $3)",
        user_id, f"{user_id.hex}@example.test", now(),
    )  # fmt: skip
    return user_id


def readyz(server: ServerProcess) -> int:
    try:
        with urllib.request.urlopen(server.url + "/readyz", timeout=2) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def env(database_url, mongo_url, tmp_path: Path, clean_tables) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "MONGODB_URL": mongo_url,
        "MONGODB_DATABASE": f"rt_{uuid.uuid4().hex[:10]}",
        "DATA_DIR": str(tmp_path),
        "JWT_SECRET": SECRET,
        "REDIS_URL": "",
        "REALTIME_AUTH_SWEEP_SECONDS": "0.5",
        "LOG_LEVEL": "info",
    }


@pytest.fixture
def redis_env(env) -> dict[str, str]:
    if not _answers("127.0.0.1", 6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379 (see DEVELOPERS.md)")
    # A channel of its own, so parallel runs and other tests never hear each other.
    return {**env, "REDIS_URL": "redis://127.0.0.1:6379/0",
            "REALTIME_REDIS_CHANNEL": f"cc-test-{uuid.uuid4().hex[:10]}"}  # fmt: skip


@pytest.fixture
def servers(tmp_path):
    started: list[ServerProcess] = []

    def start(env: dict[str, str], name: str) -> ServerProcess:
        server = ServerProcess(env, tmp_path / f"{name}.log").start()
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()


async def connect(server: ServerProcess, token: str, resume=None) -> Recorder:
    return await Recorder(server.url).connect(token, resume)


async def test_replay_after_a_full_restart_and_graceful_sigterm(env, servers, db):
    user = await make_user(db)
    stream = user_stream(user)
    server = servers(env, "first")
    rec = await connect(server, token_for(user))
    await record(db, "probe", stream, at=now(), n=0)
    await rec.wait_until(lambda: len(rec.envelopes()) == 1)
    started = time.monotonic()
    assert await asyncio.to_thread(server.stop) == 0
    assert time.monotonic() - started < 30
    assert rec.of("server.shutdown") == [{"reconnect": True}]
    await rec.wait_until(lambda: not rec.sio.connected)
    for n in range(1, 4):  # recorded while no server runs
        await record(db, "probe", stream, at=now(), n=n)
    again = servers({**env, "PORT": str(server.port)}, "second")
    back = await connect(again, token_for(user), resume={stream: 1})
    await back.wait_until(lambda: len(back.envelopes()) == 3, within=10)
    assert [e["seq"] for e in back.envelopes()] == [2, 3, 4]
    assert [e["data"]["n"] for e in back.envelopes()] == [1, 2, 3]
    await back.close()


async def test_two_processes_share_events_through_redis(redis_env, servers, db):
    owner = await make_user(db)
    course = await make_course(db, owner, now(), year=now().year + 1)
    stream = course_stream(course)
    # Only B relays, so everything A's clients get crossed Redis.
    a = servers({**redis_env, "REALTIME_RELAY_ENABLED": "false"}, "a")
    b = servers(redis_env, "b")
    ready = await asyncio.to_thread(lambda: urllib.request.urlopen(a.url + "/readyz").read())
    assert json.loads(ready)["checks"]["redis"] == "ok"
    token = token_for(owner)
    on_a = await connect(a, token)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def rename(title: str) -> int:
        req = urllib.request.Request(
            f"{b.url}/api/v1/courses/{course}", data=json.dumps({"title": title}).encode(),
            headers=headers, method="PATCH",
        )  # fmt: skip
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status

    assert await asyncio.to_thread(rename, "First") == 200  # a REST call handled by B
    got = await on_a.wait_for("course.updated", within=10)
    assert got[0]["stream"] == stream and got[0]["seq"] == 1
    await on_a.close()
    for title in ("Second", "Third"):
        assert await asyncio.to_thread(rename, title) == 200
    # Reconnect to the other process: it replays from the shared log.
    on_b = await connect(b, token, resume={stream: 1})
    await on_b.wait_until(lambda: len(on_b.envelopes(stream)) == 2, within=10)
    assert [e["seq"] for e in on_b.envelopes(stream)] == [2, 3]
    await on_b.close()


async def test_a_dead_redis_listener_turns_readyz_503_then_recovers(redis_env, servers, db):
    user = await make_user(db)
    stream = user_stream(user)
    channel = redis_env["REALTIME_REDIS_CHANNEL"]
    a = servers({**redis_env, "REALTIME_RELAY_ENABLED": "false"}, "a")
    servers(redis_env, "b")
    rec = await connect(a, token_for(user))
    await record(db, "probe", stream, at=now(), n=0)
    await rec.wait_until(lambda: len(rec.envelopes()) == 1, within=10)
    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        listed = await client.client_list(_type="pubsub")
        ours = [c for c in listed if c.get("name", "").startswith(f"cc-{channel}-")]
        assert len(ours) == 2  # one listener per process
        # Kill A's listener: find it by process, i.e. kill both and watch A (B recovers too).
        for c in ours:
            await client.client_kill_filter(_id=c["id"])
    finally:
        await client.aclose()
    await record(db, "probe", stream, at=now(), n=1)  # relayed by B while A may be deaf
    statuses: set[int] = set()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        statuses.add(await asyncio.to_thread(readyz, a))
        if 503 in statuses and statuses and readyz(a) == 200:
            break
        await asyncio.sleep(0.02)
    assert 503 in statuses and readyz(a) == 200
    await rec.wait_until(lambda: len(rec.envelopes()) == 2, within=10)
    await record(db, "probe", stream, at=now(), n=2)  # live again through the new listener
    await rec.wait_until(lambda: len(rec.envelopes()) == 3, within=10)
    assert [e["seq"] for e in rec.envelopes()] == [1, 2, 3]
    await rec.close()
