"""What a response tells a stranger: no software versions, safe headers on every response, the
API docs served from this server under a CSP, the same 404 for a draft and a published
assignment of someone else's course, and error bodies of bounded size."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest

from server.handlers.openapi import SWAGGER_UI
from server.keys import SETTINGS
from tests.assignment_helpers import create_assignment, published, right_answers
from tests.course_helpers import API, cast
from tests.route_walk import concrete, endpoints

JSON = {"Content-Type": "application/json"}
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def assert_safe_headers(resp, *, hsts: bool) -> None:
    server = resp.headers.get("Server", "")
    assert not re.search(r"python|aiohttp|\d+\.\d+", server, re.I), server
    for name, value in SECURITY_HEADERS.items():
        assert resp.headers.get(name) == value, (resp.url, name)
    assert ("Strict-Transport-Security" in resp.headers) is hsts


async def test_every_route_answers_with_safe_headers_and_no_versions(client, app):
    for ep in endpoints(app):
        resp = await client.request(ep.method, concrete(ep.path))
        assert_safe_headers(resp, hsts=False)
    for path in ("/no/such/route", "/socket.io/?EIO=4&transport=polling"):
        assert_safe_headers(await client.get(path), hsts=False)


@pytest.fixture
def https_settings(settings):
    settings.force_https = True
    return settings


async def test_hsts_when_https_is_forced(https_settings, client, app):
    assert app[SETTINGS].force_https
    for path in ("/healthz", "/api/v1/users/me", "/no/such/route"):
        resp = await client.get(path)
        assert_safe_headers(resp, hsts=True)
        assert "max-age=" in resp.headers["Strict-Transport-Security"]


async def test_docs_load_nothing_from_elsewhere_and_have_a_csp(client):
    resp = await client.get("/api/docs")
    assert resp.status == 200
    page = await resp.text()
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-eval" not in csp
    assert "<script>" not in page  # no inline script: script-src 'self' would block it
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/api/docs/") for s in sources), sources
    for src in sources:
        asset = await client.get(src)
        assert asset.status == 200, src
        assert asset.content_type in ("text/css", "text/javascript", "application/javascript")
        assert len(await asset.read()) > 100
    init = await (await client.get("/api/docs/swagger-initializer.js")).text()
    assert "/api/openapi.json" in init
    assert (await client.get("/api/docs/..%2Fopenapi.py")).status == 404
    assert (await client.get("/api/docs/LICENSE")).status == 404


# A valid body for each model an assignment route takes, so validation cannot answer first.
VALID_BODIES = {
    "AssignmentUpdate": {"title": "Renamed"},
    "SubmissionCreate": {"answers": right_answers()},
}


def test_vendored_swagger_ui_is_the_recorded_release():
    readme = (SWAGGER_UI / "README.md").read_text()
    recorded = dict(re.findall(r"\| `([\w.-]+)` \| `([0-9a-f]{64})` \|", readme))
    assert set(recorded) == {"swagger-ui-bundle.js", "swagger-ui.css"}
    for name, digest in recorded.items():
        assert hashlib.sha256((SWAGGER_UI / name).read_bytes()).hexdigest() == digest, name


async def test_someone_elses_draft_and_published_assignment_look_the_same(client, users, app):
    c = await cast(client, users, "grade")
    pub = (await published(client, c.owner, c.course_id))["id"]
    draft = (await create_assignment(client, c.owner, c.course_id))["id"]
    walked = 0
    for ep in endpoints(app):
        if "{assignment_id}" not in ep.path:
            continue
        answers = []
        for target in (pub, draft):
            resp = await client.request(
                ep.method,
                concrete(ep.path, assignment_id=target),
                json=VALID_BODIES[ep.body.__name__] if ep.body else None,
                headers=c.other.headers,
            )
            answers.append((resp.status, (await resp.json())["error"]["code"]))
        assert answers[0] == answers[1] == (404, "assignment_not_found"), (ep.method, ep.path)
        walked += 1
    assert walked >= 8


async def test_error_details_are_capped_and_say_how_many_were_dropped(client):
    body = json.dumps({f"unknown_{i}": i for i in range(20_000)}).encode()
    resp = await client.post(f"{API}/auth/login", data=io.BytesIO(body), headers=JSON)
    assert resp.status == 422
    raw = await resp.read()
    assert len(raw) < 20_000, len(raw)
    details = (await resp.json())["error"]["details"]
    listed, [summary] = details[:-1], details[-1:]
    assert 1 <= len(listed) <= 50
    assert summary["omitted"] == 20_000 + 2 - len(listed)  # + the missing email and password
