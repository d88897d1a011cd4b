"""`classconnect serve --workers N`: one port, N processes, one client population; and links
that follow the port `serve` actually listens on."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest

from server.domain.events import course_stream
from tests.conftest import _answers
from tests.process import ServerProcess
from tests.realtime.conftest import Recorder, make_course
from tests.realtime.test_processes import SECRET, make_user, now, token_for

CLIENTS = 16  # all on one worker by chance: 2 * 2**-16


@pytest.fixture
def env(database_url, mongo_url, tmp_path: Path, clean_tables) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "MONGODB_URL": mongo_url,
        "MONGODB_DATABASE": f"wk_{uuid.uuid4().hex[:10]}",
        "DATA_DIR": str(tmp_path),
        "JWT_SECRET": SECRET,
        "REDIS_URL": "",
        "LOG_LEVEL": "info",
    }


@pytest.fixture
def server(tmp_path):
    started: list[ServerProcess] = []

    def start(env: dict[str, str], *args: str) -> ServerProcess:
        process = ServerProcess(env, tmp_path / "serve.log", args).start()
        started.append(process)
        process.wait_ready(timeout=180)  # several interpreters starting on 2 shared cores
        return process

    yield start
    for process in started:
        assert process.stop() == 0, process.log_path.read_text()[-3000:]


def request(url: str, *, token: str, method: str = "GET", body: bytes | None = None,
            content_type: str = "application/json") -> tuple[int, dict, dict]:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=10) as resp:  # a new connection each time
        return resp.status, dict(resp.headers), json.loads(resp.read() or b"null")


async def until_logged(process: ServerProcess, line: str, times: int = 1, within=180) -> None:
    deadline = time.monotonic() + within
    while process.log_path.read_text().count(line) < times:
        assert time.monotonic() < deadline, f"never logged {line!r}"
        await asyncio.sleep(0.1)


def worker_of(request_id: str) -> str:
    return request_id[:16]  # each process draws its own request-id prefix


async def test_two_workers_on_one_port_serve_rest_and_sockets(env, server, db, tmp_path):
    if not _answers("127.0.0.1", 6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379 (see DEVELOPERS.md)")
    channel = f"cc-test-{uuid.uuid4().hex[:10]}"
    env = {**env, "REDIS_URL": "redis://127.0.0.1:6379/0", "REALTIME_REDIS_CHANNEL": channel}
    # One user opens every socket here; the kernel may hand more than the default cap of them
    # to one worker (which then refuses the rest with `too_many_sockets`).
    env["REALTIME_MAX_SOCKETS_PER_USER"] = str(CLIENTS)
    owner = await make_user(db)
    course = await make_course(db, owner, now(), year=now().year + 1)
    token = token_for(owner)
    serving = server(env, "--workers", "2")
    await until_logged(serving, "all 2 workers serving")  # /readyz answers once one does
    url = f"{serving.url}/api/v1/courses/{course}"

    answered = set()
    for _ in range(CLIENTS):
        status, headers, _ = await asyncio.to_thread(request, url, token=token)
        assert status == 200
        answered.add(worker_of(headers["X-Request-ID"]))
    assert len(answered) == 2  # REST reaches both workers through the one port

    clients = [await Recorder(serving.url).connect(token) for _ in range(CLIENTS)]
    rename = json.dumps({"title": "Renamed"}).encode()
    status, _, _ = await asyncio.to_thread(request, url, token=token, method="PATCH", body=rename)
    assert status == 200
    for client in clients:  # whichever worker handled the PATCH, every socket hears it
        [envelope] = await client.wait_for("course.updated", within=10)
        assert envelope["stream"] == course_stream(course) and envelope["seq"] == 1
    for client in clients:
        await client.close()
    # The sockets were spread over both workers: their requests carry both prefixes.
    await asyncio.sleep(0.5)  # a websocket's request line is logged when it closes
    logged = [json.loads(line) for line in serving.log_path.read_text().splitlines()
              if line.startswith("{")]  # fmt: skip
    socket_workers = {worker_of(e["request_id"]) for e in logged if e.get("path") == "/socket.io/"}
    assert socket_workers == answered

    # A worker that dies after it served is replaced; the port keeps answering meanwhile.
    first = psutil.Process(serving.proc.pid).children()  # type: ignore[union-attr]
    assert len(first) == 2
    first[0].kill()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        now_running = psutil.Process(serving.proc.pid).children()  # type: ignore[union-attr]
        if len(now_running) == 2 and first[0] not in now_running:
            break
        await asyncio.sleep(0.2)
    assert first[1] in now_running and first[0] not in now_running
    assert "exited with -9 (restarting it)" in serving.log_path.read_text()
    await until_logged(serving, "all 2 workers serving", times=2)


def serve_two_until_exit(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "server.cli", "serve", "--workers", "2"]
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=180)  # fmt: skip


def test_more_than_one_worker_requires_redis(env, tmp_path):
    result = serve_two_until_exit(env)
    assert result.returncode == 2
    assert "--workers 2 needs REDIS_URL" in result.stderr


async def test_links_follow_the_port_serve_listens_on(env, server, db):
    user = await make_user(db)
    serving = server({**env, "PUBLIC_BASE_URL": ""})  # unset, whatever this shell says
    assert serving.port != 8080
    status, _, body = await asyncio.to_thread(
        request, f"{serving.url}/api/v1/users/me/photo", token=token_for(user), method="PUT",
        body=WEBP, content_type="application/octet-stream",
    )  # fmt: skip
    assert status == 200
    link = body["photo_url"]
    assert re.match(rf"http://127\.0\.0\.1:{serving.port}/files/local/", link), link
    assert await asyncio.to_thread(fetch, link) == WEBP
    # The image's HEALTHCHECK command finds the same server from the same settings.
    assert await asyncio.to_thread(healthcheck, serving.env) == 0
    assert await asyncio.to_thread(healthcheck, {**serving.env, "PORT": str(serving.port + 1)}) == 1


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as resp:
        assert resp.status == 200
        return resp.read()


def healthcheck(env: dict[str, str]) -> int:
    check = [sys.executable, "-m", "server.cli", "healthcheck"]
    return subprocess.run(check, env=env, capture_output=True, timeout=30).returncode


WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24


def test_workers_that_die_at_start_up_stop_the_supervisor(env, tmp_path):
    # A store that refuses connections: each worker exits during start-up, and the supervisor,
    # rather than restarting them forever, stops and says so with its exit code.
    broken = {**env, "DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none",
              "REDIS_URL": "redis://127.0.0.1:6379/0", "PORT": "0"}  # fmt: skip
    result = serve_two_until_exit(broken)
    assert result.returncode == 1
    assert "exited with 1 (before serving: stopping)" in result.stderr


async def test_workers_share_embedded_stores_the_parent_started(env, server, tmp_path):
    if not _answers("127.0.0.1", 6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379 (see DEVELOPERS.md)")
    data_dir = tmp_path / "var"
    embedded = {**env, "DATABASE_URL": "", "MONGODB_URL": "", "DATA_DIR": str(data_dir),
                "REDIS_URL": "redis://127.0.0.1:6379/0",
                "REALTIME_REDIS_CHANNEL": f"cc-test-{uuid.uuid4().hex[:10]}"}  # fmt: skip
    serving = server(embedded, "--workers", "2")
    await until_logged(serving, "all 2 workers serving")
    log = serving.log_path.read_text()
    # Started once, by the parent; no worker started its own.
    assert log.count("embedded Postgres started for every worker") == 1
    assert log.count("embedded MongoDB-wire server started for every worker") == 1
    assert 'embedded Postgres started"' not in log and "(SecantusDB) started" not in log
    assert [p.name for p in data_dir.iterdir() if p.name in ("postgres", "mongo")]
    body = json.loads(await asyncio.to_thread(fetch, serving.url + "/readyz"))
    assert body["checks"] == {"postgres": "ok", "mongo": "ok", "redis": "ok"}
