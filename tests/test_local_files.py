"""Locally stored files served back over HTTP: only the public bucket, never a path escape."""

from __future__ import annotations

import pytest

from server.keys import FILE_STORAGE
from server.stores.file_backends import LocalFileStorage

WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24


async def test_profile_picture_is_served_at_its_public_url(client, settings):
    storage = client.app[FILE_STORAGE]
    assert isinstance(storage, LocalFileStorage)
    assert storage.root == (settings.data_dir / "files").resolve()
    await storage.put("profiles", "u1/avatar.webp", WEBP, "image/webp")
    url = storage.public_url("profiles", "u1/avatar.webp")
    assert url == f"{settings.public_base_url}/files/local/profiles/u1/avatar.webp"
    resp = await client.get(url.removeprefix(settings.public_base_url))
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "image/webp"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert await resp.read() == WEBP


async def test_missing_file_is_a_json_404(client):
    resp = await client.get("/files/local/profiles/u1/none.png")
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "file_not_found"


@pytest.mark.parametrize("bucket", ["submissions", "course-files"])
async def test_private_buckets_are_never_served_here(client, bucket):
    await client.app[FILE_STORAGE].put(bucket, "u1/work.pdf", b"%PDF-1.7 secret", "application/pdf")
    resp = await client.get(f"/files/local/{bucket}/u1/work.pdf")
    assert resp.status == 404
    assert b"secret" not in await resp.read()


@pytest.mark.parametrize(
    "path",
    [
        "/files/local/profiles/../submissions/u1/work.pdf",
        "/files/local/profiles/%2e%2e/submissions/u1/work.pdf",
        "/files/local/profiles/..%2fsubmissions%2fu1%2fwork.pdf",
        "/files/local/profiles/%2e%2e%2f%2e%2e%2f%2e%2e%2fjwt_secret",
    ],
)
async def test_path_traversal_is_impossible(client, path):
    await client.app[FILE_STORAGE].put(
        "submissions", "u1/work.pdf", b"%PDF secret", "application/pdf"
    )
    resp = await client.get(path)
    assert resp.status == 404
    assert b"secret" not in await resp.read()
