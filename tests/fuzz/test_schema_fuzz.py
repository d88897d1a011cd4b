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

import pytest

from server.keys import ENDPOINTS
from server.settings import Settings
from tests.assignment_helpers import PDF, published, submit, upload
from tests.course_helpers import API, create_course, enroll
from tests.forum_helpers import answer, ask
from tests.fuzz.runner import Caller, Size, fuzz


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
    report = await asyncio.to_thread(fuzz, base_url, people, size)
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(report.cases.items()))
    print(f"\nfuzz: {report.total} cases in {report.seconds:.1f} s (seed {size.seed}); {counts}")
    # Every operation ran for every caller at least once (a run that silently did nothing fails).
    assert report.total >= len(people) * len(app[ENDPOINTS])
    assert not report.failures, "\n\n".join(report.failures)
