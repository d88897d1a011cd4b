"""Reading publicly readable files (profile pictures) back from the file storage."""

from __future__ import annotations

from server.domain.errors import NotFound
from server.stores.files import PUBLIC_BUCKETS, FileStorage, InvalidFileKey


async def read_public_file(*, storage: FileStorage, bucket: str, key: str) -> tuple[bytes, str]:
    """The bytes and content type of a file anyone may read; NotFound for everything else.

    Private buckets answer exactly like a missing file, so their keys cannot be probed here.
    """
    if bucket not in PUBLIC_BUCKETS:
        raise NotFound("No such file.", code="file_not_found")
    try:
        found = await storage.get(bucket, key)
    except InvalidFileKey:
        found = None
    if found is None:
        raise NotFound("No such file.", code="file_not_found")
    return found
