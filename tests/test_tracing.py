"""`serve` with DD_AGENT_HOST sends traces and metrics to the agent, as a real child process.

ddtrace patches libraries process-wide, so it only ever runs in the child, never in the test
process; the agent is a trace-agent stand-in (HTTP) plus a DogStatsD stand-in (UDP) on loopback.
"""

from __future__ import annotations

import asyncio
import uuid

import aiohttp

from tests.process import ServerProcess


async def test_serve_traces_requests_and_database_calls(
    tmp_path, database_url, mongo_url, fake_trace_agent, fake_dogstatsd
):
    env = {
        "DATABASE_URL": database_url,
        "MONGODB_URL": mongo_url,
        "MONGODB_DATABASE": f"trace_{uuid.uuid4().hex[:8]}",
        "DATA_DIR": str(tmp_path),
        "DD_AGENT_HOST": "127.0.0.1",
        "DD_DOGSTATSD_PORT": str(fake_dogstatsd.port),
        "DD_TRACE_AGENT_PORT": str(fake_trace_agent.port),
        "DD_ENV": "test",
        # Only traces: no remote configuration polling or telemetry against the stand-in.
        "DD_REMOTE_CONFIGURATION_ENABLED": "false",
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
        "DD_TRACE_WRITER_INTERVAL_SECONDS": "0.2",
    }
    server = ServerProcess(env, tmp_path / "serve.log").start()
    try:
        await asyncio.to_thread(server.wait_ready)
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url + "/readyz") as resp:
                assert resp.status == 200
        await fake_trace_agent.wait_for(b"aiohttp.request", b"/readyz")
    finally:
        assert await asyncio.to_thread(server.stop) == 0

    # /readyz pings both stores: the Postgres client spans are in the same traces.
    log = server.log_path.read_text()
    assert fake_trace_agent.traces_contain(b"postgres"), log[-2000:]
    # Mongo spans too, or else the known ddtrace/pymongo mismatch was logged, not fatal.
    assert fake_trace_agent.traces_contain(b"pymongo") or (
        "failed to enable ddtrace support for pymongo" in log
    )
    payload = fake_trace_agent.trace_payloads[0]
    assert payload.headers["content-type"] == "application/msgpack"
    assert int(payload.headers["x-datadog-trace-count"]) >= 1
    # The same process reports request metrics to DogStatsD, tagged with the route.
    readyz = [
        s
        for s in fake_dogstatsd.named("classconnect.http.requests")
        if s.tag("route") == "/readyz" and s.tag("status") == "200"
    ]
    assert readyz and readyz[0].tag("env") == "test"
