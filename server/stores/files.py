"""The one file-storage interface. Features store bytes under (bucket, key) and never care
whether they land on local disk or in Supabase Storage (server/stores/file_backends*.py)."""

from __future__ import annotations

import re
from typing import Protocol

from server.domain.errors import InvalidInput

PROFILES = "profiles"
COURSE_FILES = "course-files"
SUBMISSIONS = "submissions"
BUCKETS = frozenset({PROFILES, COURSE_FILES, SUBMISSIONS})
# Only this bucket may be read without authorization (profile pictures in public profiles);
# the others are served by the owning feature's routes after its own checks.
PUBLIC_BUCKETS = frozenset({PROFILES})

# Keys are path-like ("<user id>/<file id>.png") but never climb out of their bucket.
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


class InvalidFileKey(InvalidInput):
    code = "invalid_file_key"
    default_message = "Not a valid bucket or file key."


MAX_SEGMENT_BYTES = 255


def check_location(bucket: str, key: str) -> None:
    """Refuse unknown buckets and keys that could escape the bucket ('..', absolute, '\\')."""
    if bucket not in BUCKETS:
        raise InvalidFileKey(f"Unknown bucket {bucket!r}.", details=[{"bucket": bucket}])
    segments = key.split("/")
    # A path segment longer than a file name may be (255 bytes) made the disk read fail.
    too_long = any(len(s.encode()) > MAX_SEGMENT_BYTES for s in segments)
    if len(key) > 512 or too_long or not _KEY.fullmatch(key) or ".." in segments:
        raise InvalidFileKey(f"Invalid file key {key!r}.", details=[{"key": key}])


class FileStorage(Protocol):
    """Where files live. Keys are checked with `check_location` by every implementation."""

    name: str

    async def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        """Store (or replace) the object."""
        ...

    async def get(self, bucket: str, key: str) -> tuple[bytes, str] | None:
        """The bytes and content type, or None when there is no such object."""
        ...

    async def delete(self, bucket: str, key: str) -> None:
        """Remove the object; deleting a missing one is not an error."""
        ...

    def public_url(self, bucket: str, key: str) -> str:
        """Where a client can fetch the object (only meaningful for PUBLIC_BUCKETS)."""
        ...

    async def close(self) -> None: ...
