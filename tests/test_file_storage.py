"""One contract for both file-storage backends: local disk and Supabase Storage (the real
storage3 async client against a local server speaking the Storage REST API)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from storage3 import AsyncStorageClient

from server.keys import FILE_STORAGE
from server.stores.file_backends import LocalFileStorage
from server.stores.file_backends_supabase import SupabaseFileStorage
from server.stores.files import InvalidFileKey
from tests.fakes.supabase_storage import FakeSupabaseStorage

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(params=["local", "supabase"])
async def storage(
    request, tmp_path: Path, supabase_storage: FakeSupabaseStorage
) -> AsyncIterator[object]:
    if request.param == "local":
        backend = LocalFileStorage(tmp_path / "files", public_base_url="http://cc.test")
    else:
        backend = SupabaseFileStorage(url=supabase_storage.url, key=supabase_storage.key)
    yield backend
    await backend.close()


async def test_put_get_replace_delete(storage):
    assert await storage.get("profiles", "u1/photo.png") is None
    await storage.put("profiles", "u1/photo.png", PNG, "image/png")
    assert await storage.get("profiles", "u1/photo.png") == (PNG, "image/png")
    await storage.put("profiles", "u1/photo.png", b"%PDF-1.7 x", "application/pdf")
    assert await storage.get("profiles", "u1/photo.png") == (b"%PDF-1.7 x", "application/pdf")
    await storage.delete("profiles", "u1/photo.png")
    assert await storage.get("profiles", "u1/photo.png") is None
    await storage.delete("profiles", "u1/photo.png")  # deleting twice is fine


async def test_buckets_are_separate(storage):
    await storage.put("submissions", "a/file.txt", b"one", "text/plain")
    await storage.put("course-files", "a/file.txt", b"two", "text/plain")
    assert (await storage.get("submissions", "a/file.txt"))[0] == b"one"
    assert (await storage.get("course-files", "a/file.txt"))[0] == b"two"
    assert await storage.get("profiles", "a/file.txt") is None


async def test_empty_and_large_files_round_trip(storage):
    big = bytes(range(256)) * 40_000  # ~10 MB
    await storage.put("submissions", "big.bin", big, "application/octet-stream")
    await storage.put("submissions", "empty.txt", b"", "text/plain")
    assert await storage.get("submissions", "big.bin") == (big, "application/octet-stream")
    assert await storage.get("submissions", "empty.txt") == (b"", "text/plain")


@pytest.mark.parametrize(
    ("bucket", "key"),
    [
        ("profiles", "../secrets"),
        ("profiles", "a/../../b"),
        ("profiles", "/etc/passwd"),
        ("profiles", "a\\..\\b"),
        ("profiles", ""),
        ("profiles", "a//b"),
        ("nope", "x.png"),
        ("../profiles", "x.png"),
    ],
)
async def test_keys_cannot_escape_their_bucket(storage, bucket, key):
    with pytest.raises(InvalidFileKey):
        await storage.put(bucket, key, b"x", "text/plain")
    with pytest.raises(InvalidFileKey):
        await storage.get(bucket, key)
    with pytest.raises(InvalidFileKey):
        await storage.delete(bucket, key)


async def test_local_writes_are_atomic_and_stay_under_the_root(tmp_path):
    storage = LocalFileStorage(tmp_path / "files", public_base_url="http://cc.test/")
    payloads = [bytes([i]) * 200_000 for i in range(20)]
    reads: list[tuple[bytes, str] | None] = []

    async def reader() -> None:
        for _ in range(50):
            reads.append(await storage.get("submissions", "k/one.bin"))
            await asyncio.sleep(0)

    await storage.put("submissions", "k/one.bin", payloads[0], "t/0")
    await asyncio.gather(
        reader(), *(storage.put("submissions", "k/one.bin", p, f"t/{p[0]}") for p in payloads)
    )
    for got in reads:  # every read saw one whole version, its bytes matching its type
        assert got is not None and got[0] == bytes([int(got[1][2:])]) * 200_000
    files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert files == [tmp_path / "files" / "submissions" / "k" / "one.bin"]  # no temp leftovers
    assert (
        storage.public_url("profiles", "u1/p.png") == "http://cc.test/files/local/profiles/u1/p.png"
    )


async def test_supabase_public_url_matches_the_official_client(supabase_storage):
    storage = SupabaseFileStorage(url=supabase_storage.url, key=supabase_storage.key)
    official = AsyncStorageClient(
        supabase_storage.url + "/storage/v1/", {"apiKey": supabase_storage.key}
    )
    try:
        await storage.put("profiles", "u1/p.png", PNG, "image/png")
        url = storage.public_url("profiles", "u1/p.png")
        assert url == await official.from_("profiles").get_public_url("u1/p.png")
        async with official.session.stream("GET", url) as resp:  # readable without the key
            assert resp.status_code == 200 and await resp.aread() == PNG
    finally:
        await official.session.aclose()
        await storage.close()


async def test_supabase_wrong_key_is_an_error_not_a_missing_file(supabase_storage):
    storage = SupabaseFileStorage(url=supabase_storage.url, key="wrong")
    try:
        with pytest.raises(Exception, match=r"Unauthorized|403"):
            await storage.get("profiles", "u1/p.png")
    finally:
        await storage.close()


async def test_app_uses_supabase_when_configured(aiohttp_client, app_factory, supabase_storage):
    client = await aiohttp_client(
        app_factory(supabase_url=supabase_storage.url, supabase_key=SecretStr(supabase_storage.key))
    )
    storage = client.app[FILE_STORAGE]
    assert isinstance(storage, SupabaseFileStorage)
    await storage.put("profiles", "me.png", PNG, "image/png")
    assert ("POST", "/storage/v1/object/profiles/me.png") in supabase_storage.requests
    resp = await client.get("/files/local/profiles/me.png")  # the local route names nothing
    assert resp.status == 404


@pytest.fixture
def app_factory(settings, clock):
    from server.app import create_app

    def make(**overrides):
        for name, value in overrides.items():
            setattr(settings, name, value)
        return create_app(settings, clock=clock)

    return make
