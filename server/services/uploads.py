"""Uploaded files for submissions and assignment attachments, and who may read them back."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

from server.domain import assignment_access as rules
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.course_access import Membership
from server.domain.errors import InvalidInput, NotFound
from server.domain.file_types import DOCX, EXTENSIONS, JPEG, PDF, PNG, TXT, sniff
from server.domain.submission_views import UploadRead
from server.pg_pool import Pool
from server.services.unit_of_work import unit_of_work
from server.stores import memberships, uploads
from server.stores.files import SUBMISSIONS, FileStorage

ACCEPTED = frozenset({PDF, DOCX, TXT, PNG, JPEG})


@dataclass(frozen=True)
class StoredFile:
    data: bytes
    content_type: str
    filename: str


def _not_found() -> NotFound:
    return NotFound("No such file.", code="file_not_found")


async def upload(
    *,
    pool: Pool,
    clock: Clock,
    storage: FileStorage,
    context: RequestContext,
    filename: str,
    data: bytes,
) -> UploadRead:
    """Store a pdf, docx, txt, png or jpeg, judged by its bytes (the name and the declared
    type are the client's word, not evidence)."""
    kind = sniff(data)
    if kind not in ACCEPTED:
        raise InvalidInput(
            "Upload a pdf, docx, txt, png or jpeg file.",
            code="unsupported_file_type",
            details=[{"accepted": sorted(ACCEPTED)}],
        )
    file_id, actor_id = uuid.uuid4(), context.actor_id
    key = f"{actor_id}/{file_id}.{EXTENSIONS[kind]}"
    read = UploadRead(
        file_id=file_id, filename=filename[:255] or "file", content_type=kind, size_bytes=len(data)
    )
    await storage.put(SUBMISSIONS, key, data, kind)
    try:
        async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
            await uploads.insert(
                uow.conn,
                file_id=file_id,
                uploader_id=actor_id,
                file_key=key,
                filename=read.filename,
                content_type=kind,
                size_bytes=len(data),
                now=uow.now,
            )
            uow.audit(
                "file.upload",
                target=("file", file_id),
                changes=changes_between(
                    None, read.model_dump(), fields=("filename", "content_type", "size_bytes")
                ),
            )
    except BaseException:
        with contextlib.suppress(Exception):  # no row, so nobody can ever reach the bytes
            await storage.delete(SUBMISSIONS, key)
        raise
    return read


async def read_file(
    *, pool: Pool, storage: FileStorage, actor_id: uuid.UUID, file_id: uuid.UUID
) -> StoredFile:
    """404 for anyone who may not read it: the file's existence is not theirs to learn."""
    async with pool.acquire() as conn:
        row = await uploads.get(conn, file_id)
        if row is None:
            raise _not_found()
        uploader = row["uploader_id"] == actor_id
        m, attachment = None, False
        if not uploader and row["course_id"] is not None:
            m = Membership.of(await memberships.membership(conn, row["course_id"], actor_id))
            attachment = await uploads.attached_to_published_assignment(
                conn, file_id, row["course_id"]
            )
    if not rules.can_read_file(m, uploader=uploader, attached_to_published_assignment=attachment):
        raise _not_found()
    found = await storage.get(SUBMISSIONS, row["file_key"])
    if found is None:
        raise _not_found()
    return StoredFile(found[0], row["content_type"], row["filename"])
