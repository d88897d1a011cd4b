"""One access-log line per request, with a request id that is honoured or generated."""

from __future__ import annotations

import logging


async def test_request_id_is_honoured_and_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="classconnect.access"):
        resp = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["X-Request-ID"] == "abc-123"
    [line] = [r for r in caplog.records if r.name == "classconnect.access"]
    assert (line.method, line.path, line.status, line.request_id) == (
        "GET",
        "/healthz",
        200,
        "abc-123",
    )
    assert line.duration_ms >= 0


async def test_request_id_is_generated_when_absent_or_unsafe(client, caplog):
    with caplog.at_level(logging.INFO, logger="classconnect.access"):
        plain = await client.get("/no/route")
        unsafe = await client.get("/healthz", headers={"X-Request-ID": "x" * 300})
    ids = [plain.headers["X-Request-ID"], unsafe.headers["X-Request-ID"]]
    assert all(len(i) == 32 for i in ids) and ids[0] != ids[1]
    statuses = [r.status for r in caplog.records if r.name == "classconnect.access"]
    assert statuses == [404, 200]


def test_json_lines_formatter_keeps_extra_fields():
    import json

    from server.logs import JsonFormatter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.request_id = "r1"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello you" and entry["request_id"] == "r1"
    assert entry["level"] == "info"


def test_generated_request_ids_are_unique_within_and_across_sources():
    from server.handlers.request_log import request_id_source

    first, second = request_id_source(), request_id_source()  # as two processes would have
    ids = [first() for _ in range(1000)] + [second() for _ in range(1000)]
    assert len(set(ids)) == 2000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
