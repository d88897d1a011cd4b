"""Uploads and file authorization: types judged by content, the 25 MB cap, storage in bucket
`submissions` (local disk and Supabase Storage on loopback), and who may read a file back."""

from __future__ import annotations

import io
import zipfile

import pytest
from pydantic import SecretStr

from server.settings import Settings
from tests.assignment_helpers import PDF, course_cast, published, submit, upload
from tests.course_helpers import API

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def file_question() -> list[dict]:
    return [{"id": "f1", "kind": "file", "prompt": "Upload your essay.", "points": 5}]


async def test_accepted_types_are_judged_by_content(client, users, db):
    user = await users.create()
    for data, name, claimed, expected in [
        (PDF, "essay.txt", "text/plain", "application/pdf"),
        (
            docx(),
            "essay.docx",
            "application/octet-stream",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("Plain words, ñandú.".encode(), "notes", "application/pdf", "text/plain"),
        (PNG, "x.jpg", "image/jpeg", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 32, "x.png", "image/png", "image/jpeg"),
    ]:
        resp = await upload(client, user, data, name, claimed)
        assert resp.status == 201, await resp.text()
        body = await resp.json()
        assert body["content_type"] == expected and body["size_bytes"] == len(data)
    assert await db.fetchval("SELECT count(*) FROM uploads") == 5


async def test_refused_types_and_sizes_write_nothing(client, users, db, settings):
    user = await users.create()
    webp = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 16
    for data in (b"\x00\x01binary\x00", webp, b"PK\x03\x04not-a-docx", b""):
        resp = await upload(client, user, data, "essay.pdf", "application/pdf")
        assert resp.status == 422
        assert (await resp.json())["error"]["code"] == "unsupported_file_type"
    big = PDF + b"0" * (25 * 1024 * 1024)
    resp = await upload(client, user, big, "big.pdf", "application/pdf")
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "payload_too_large"
    resp = await client.post(f"{API}/uploads", data=b"raw", headers=user.headers)
    assert resp.status == 415
    assert await db.fetchval("SELECT count(*) FROM uploads") == 0
    assert not [p for p in (settings.data_dir / "files").rglob("*") if p.is_file()]


async def test_submission_files_are_read_by_uploader_and_staff_only(client, users, db):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id, questions=file_question())
    up = await (await upload(client, c.student, PDF, "essay.pdf", "application/pdf")).json()
    url = f"{API}/files/{up['file_id']}"
    # Before it is attached, only the uploader.
    assert (await client.get(url, headers=c.owner.headers)).status == 404
    resp = await submit(
        client, c.student, a["id"], answers=[{"question_id": "f1", "file_id": up["file_id"]}]
    )
    assert resp.status == 201, await resp.text()
    assert await db.fetchval("SELECT needs_review FROM submissions") is True
    for who, status in [
        (c.student, 200),
        (c.owner, 200),
        (c.assistant_with, 200),
        (c.assistant_without, 200),
        (c.other, 404),
    ]:
        got = await client.get(url, headers=who.headers)
        assert got.status == status, who.name
        if status == 200:
            assert await got.read() == PDF and got.content_type == "application/pdf"
    assert (await client.get(url)).status == 401
    other_student = await users.create()
    await client.post(f"{API}/courses/{c.course_id}/enrollments", headers=other_student.headers)
    assert (await client.get(url, headers=other_student.headers)).status == 404


async def test_someone_elses_file_cannot_be_submitted(client, users, db):
    c = await course_cast(client, users, "grade")
    a = await published(client, c.owner, c.course_id, questions=file_question())
    up = await (await upload(client, c.other, PDF, "theirs.pdf", "application/pdf")).json()
    resp = await submit(
        client, c.student, a["id"], answers=[{"question_id": "f1", "file_id": up["file_id"]}]
    )
    assert resp.status == 422
    assert await db.fetchval("SELECT count(*) FROM submissions") == 0
    assert await db.fetchval("SELECT course_id FROM uploads") is None


async def test_assignment_attachments_reach_the_course_once_published(client, users):
    c = await course_cast(client, users, "edit_content")
    up = await (await upload(client, c.owner, PDF, "brief.pdf", "application/pdf")).json()
    body = {
        "kind": "task",
        "title": "With a brief",
        "due_at": "2026-01-09T09:00:00+00:00",
        "questions": [{"id": "t", "kind": "text", "prompt": "Why?"}],
        "attachments": [up["file_id"]],
    }
    created = await client.post(
        f"{API}/courses/{c.course_id}/assignments", json=body, headers=c.owner.headers
    )
    assert created.status == 201, await created.text()
    url = f"{API}/files/{up['file_id']}"
    assert (await client.get(url, headers=c.student.headers)).status == 404  # still a draft
    aid = (await created.json())["id"]
    await client.post(f"{API}/assignments/{aid}/publish", headers=c.owner.headers)
    assert (await client.get(url, headers=c.student.headers)).status == 200
    assert (await client.get(url, headers=c.other.headers)).status == 404


class TestSupabaseBackend:
    @pytest.fixture
    def settings(self, settings: Settings, supabase_storage) -> Settings:
        return settings.model_copy(
            update={
                "supabase_url": supabase_storage.url,
                "supabase_key": SecretStr(supabase_storage.key),
            }
        )

    async def test_upload_lands_in_bucket_submissions(self, client, users, supabase_storage):
        user = await users.create()
        resp = await upload(client, user, PDF, "essay.pdf", "application/pdf")
        assert resp.status == 201, await resp.text()
        file_id = (await resp.json())["file_id"]
        [(bucket, key)] = list(supabase_storage.objects)
        assert bucket == "submissions" and file_id in key
        got = await client.get(f"{API}/files/{file_id}", headers=user.headers)
        assert got.status == 200 and await got.read() == PDF
