"""A course with one of everything for tests that walk the route table with hostile input
(`world`), and what they check with: the tables a request could write, the error shape, the
fields of a request model by kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.assignment_helpers import PDF, published, submit, upload
from tests.course_helpers import API, Cast, cast
from tests.route_walk import concrete

TABLES = ("courses", "assignments", "submissions", "uploads", "course_feedback", "outbox")
# What an admin or a user's request can write to Mongo.
COLLECTIONS = ("admins", "rules", "rule_versions", "rule_acceptances", "admin_intents")


@dataclass
class World:
    c: Cast
    ids: dict[str, str]
    admin_headers: dict[str, str]

    def headers_for(self, path: str) -> dict[str, str]:
        """Admin routes are walked as an admin, the rest as the course's owner."""
        return self.admin_headers if path.startswith(f"{API}/admin") else self.c.owner.headers


@pytest.fixture
async def world(client, users, admins) -> World:
    c = await cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id)
    s = await (await submit(client, c.student, a["id"])).json()
    up = await (await upload(client, c.student, PDF, "x.pdf", "application/pdf")).json()
    module = await client.post(
        f"{API}/courses/{c.course_id}/modules", json={"title": "M"}, headers=c.owner.headers
    )
    ids = {
        "course_id": c.course_id, "assignment_id": a["id"], "submission_id": s["id"],
        "file_id": up["file_id"], "user_id": str(c.student.id),
        "module_id": (await module.json())["id"],
    }  # fmt: skip
    return World(c, ids, (await admins.create()).headers)


async def written(db) -> dict[str, int]:
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def stored(db, mongo) -> dict[str, int]:
    """`written`, and the Mongo collections too."""
    counts = await written(db)
    for name in COLLECTIONS:
        counts[f"mongo.{name}"] = await mongo[name].count_documents({})
    return counts


def assert_error_shape(body: dict) -> dict:
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def schema_fields(model: type, formats: tuple[str, ...]) -> dict[str, str]:
    """Top-level fields whose JSON schema (or one of its alternatives) has one of `formats`
    (`date`, `date-time`) or type string (`string`)."""
    schema = model.model_json_schema(by_alias=True)
    found = {}
    for name, prop in schema.get("properties", {}).items():
        for alt in [prop, *prop.get("anyOf", [])]:
            kind = alt.get("format") if "format" in alt else alt.get("type")
            if kind in formats and "enum" not in alt and "const" not in alt:
                found[name] = kind
    return found


async def send(client, world: World, ep, where: str, fields: dict[str, Any]):
    """`fields` as the body or the query of `ep`, as the course's owner."""
    return await client.request(
        ep.method,
        concrete(ep.path, **world.ids),
        json=fields if where == "body" else None,
        params=fields if where == "query" else None,
        headers=world.headers_for(ep.path),
    )
