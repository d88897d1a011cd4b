"""Property-based fuzzing of the whole API from its OpenAPI document (schemathesis), on the app
served on a loopback port with the real stores, as anonymous, a student, a teacher and an admin:
every response must have a documented status and content type, a body matching the document,
no 5xx and no hang (tests/fuzz/runner.py).

`make test` runs a small case count with a fixed seed; `make fuzz` runs the same walk at least
3,000 cases large with a random seed (FUZZ_EXAMPLES, FUZZ_SCENARIOS, FUZZ_STEPS, FUZZ_SEED).
"""

from __future__ import annotations

import asyncio
import os
import random
from urllib.parse import urlencode

import pytest

from server.keys import ENDPOINTS, OPENAPI_DOC
from server.settings import Settings
from tests.assignment_helpers import PDF, published, submit, upload
from tests.course_helpers import API, create_course, enroll
from tests.forum_helpers import answer, ask
from tests.fuzz.runner import MAX_REQUEST_LINE, Caller, Size, fuzz
from tests.route_walk import concrete


def size_from_env() -> Size:
    seed = os.environ.get("FUZZ_SEED", "20260105")
    return Size(
        examples=int(os.environ.get("FUZZ_EXAMPLES", "1")),
        scenarios=int(os.environ.get("FUZZ_SCENARIOS", "4")),
        steps=int(os.environ.get("FUZZ_STEPS", "8")),
        seed=random.randrange(2**32) if seed == "random" else int(seed),
    )


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The fuzzer posts and signs in far more often than a person: limits have their own tests.
    settings.forum_post_limit = 100_000
    return settings


async def callers(client, users, admins) -> list[Caller]:
    """A course with content, an enrolled student who handed in work, and an admin with a rule:
    ids the fuzzer can aim at besides the random ones."""
    teacher, student = await users.create("Tina Teacher"), await users.create("Sam Student")
    course_id = (await create_course(client, teacher))["id"]
    await enroll(client, student, course_id)
    assignment = await published(client, teacher, course_id)
    submission = await (await submit(client, student, assignment["id"])).json()
    module = await client.post(
        f"{API}/courses/{course_id}/modules", json={"title": "M"}, headers=teacher.headers
    )
    module_id = (await module.json())["id"]
    link = {"kind": "link", "title": "L", "url": "https://example.org"}
    resource = await client.post(
        f"{API}/modules/{module_id}/resources", json=link, headers=teacher.headers
    )
    thread = await ask(client, student, course_id)
    reply = await answer(client, teacher, thread["id"])
    file_id = await (await upload(client, student, PDF, "x.pdf", "application/pdf")).json()
    admin, other_admin = await admins.create(), await admins.create()
    rule = await client.post(
        f"{API}/admin/rules",
        json={
            "title": "Conduct",
            "description": "Be kind.",
            "effective_from": "2026-02-01T00:00:00Z",
        },
        headers=admin.headers,
    )
    shared = {
        "course_id": course_id,
        "assignment_id": assignment["id"],
        "submission_id": submission["id"],
        "module_id": module_id,
        "resource_id": (await resource.json())["id"],
        "thread_id": thread["id"],
        "answer_id": reply["id"],
        "file_id": file_id["file_id"],
        "asset": "swagger-ui.css",
    }
    return [
        Caller("anonymous", {}, shared),
        Caller("student", student.headers, {**shared, "user_id": str(teacher.id)}),
        Caller("teacher", teacher.headers, {**shared, "user_id": str(student.id)}),
        Caller(
            "admin",
            admin.headers,
            {
                "user_id": str(student.id),
                "admin_id": str(other_admin.id),
                "rule_id": (await rule.json())["id"],
            },
        ),
    ]


@pytest.mark.slow
async def test_the_api_conforms_to_its_document_for_every_caller(client, users, admins, app):
    size = size_from_env()
    base_url = str(client.make_url("")).rstrip("/")
    people = await callers(client, users, admins)
    if only := os.environ.get("FUZZ_CALLERS"):  # e.g. "admin,student" to chase a failure
        people = [p for p in people if p.name in only.split(",")]
    report = await asyncio.to_thread(fuzz, base_url, people, size)
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(report.cases.items()))
    print(f"\nfuzz: {report.total} cases in {report.seconds:.1f} s (seed {size.seed}); {counts}")
    # Every operation ran for every caller at least once (a run that silently did nothing fails).
    assert report.total >= len(people) * len(app[ENDPOINTS])
    assert report.total >= int(os.environ.get("FUZZ_MIN_CASES", "0"))
    assert not report.failures, "\n\n".join(report.failures)


def worst_query(operation: dict) -> dict[str, str]:
    """Every free-text query parameter at its maximum length, in 4-byte characters (12 bytes
    each once percent-encoded; ASCII where a pattern applies); a free-text parameter without a
    maximum fails the test."""
    params = {}
    for p in operation.get("parameters", []):
        if p["in"] != "query":
            continue
        for alt in [p["schema"], *p["schema"].get("anyOf", [])]:
            if alt.get("type") != "string" or "enum" in alt or "const" in alt:
                continue
            if alt.get("format") in ("date", "date-time", "uuid"):
                continue
            if "pattern" in alt:  # the API's patterns are ASCII (cursors, choices)
                if "maxLength" in alt:
                    params[p["name"]] = "A" * alt["maxLength"]
                continue
            assert "maxLength" in alt, f"query parameter {p['name']!r} has no maximum length"
            params[p["name"]] = "\U0001f600" * alt["maxLength"]
    return params


async def test_the_longest_query_the_document_allows_reaches_the_app(client, app):
    """aiohttp refuses a request line over 8190 bytes before the app sees it, with a plain-text
    400 the document cannot describe; so every query the document allows must fit."""
    checked = 0
    for path, operations in app[OPENAPI_DOC].document["paths"].items():
        for method, operation in operations.items():
            params = worst_query(operation)
            if not params:
                continue
            url = concrete(path, key="x" * 36)
            line = f"{url}?{urlencode(params)}"
            assert len(line) <= MAX_REQUEST_LINE, (method, path, len(line))
            resp = await client.request(method.upper(), line)
            assert resp.content_type == "application/json", (method, path, resp.status)
            checked += 1
    assert checked >= 20
