"""The OpenAPI document is valid 3.1 and lists every registered route."""

from __future__ import annotations

from openapi_spec_validator import validate

from server.handlers.openapi import openapi_path


async def test_document_is_valid_and_complete(client, app):
    resp = await client.get("/api/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    registered = {
        (route.method.lower(), openapi_path(route.resource.canonical))
        for route in app.router.routes()
        if route.method != "HEAD"
        and route.resource is not None
        and not route.resource.canonical.startswith("/socket.io")
    }
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert registered and registered <= documented
    assert documented <= registered  # nothing documented that does not exist


async def test_docs_page_points_at_the_document(client):
    resp = await client.get("/api/docs")
    assert resp.status == 200
    assert "/api/docs/swagger-initializer.js" in await resp.text()
    init = await client.get("/api/docs/swagger-initializer.js")
    assert "/api/openapi.json" in await init.text()
