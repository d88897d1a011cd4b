"""Local-disk file storage under DATA_DIR/files: the default when Supabase is not configured.

Each object is one file `<root>/<bucket>/<key>` holding a one-line content type, then the bytes,
so the type and the data are replaced together by a single atomic rename: a reader sees the old
object or the new one, never half of either.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

from server.atomic_files import write_atomically
from server.settings import Settings
from server.stores.files import FileStorage, check_location


class LocalFileStorage:
    name = "local"

    def __init__(self, root: Path, *, public_base_url: str) -> None:
        self.root = root.resolve()
        self.public_base_url = public_base_url.rstrip("/")

    def _path(self, bucket: str, key: str) -> Path:
        check_location(bucket, key)
        path = (self.root / bucket / key).resolve()
        # Belt and braces: check_location already forbids '..', absolute keys and backslashes.
        if not path.is_relative_to(self.root / bucket):
            raise ValueError("file key escapes its bucket")
        return path

    async def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        path = self._path(bucket, key)
        header = content_type.replace("\n", " ").encode() + b"\n"
        await asyncio.to_thread(write_atomically, path, header, data)

    async def get(self, bucket: str, key: str) -> tuple[bytes, str] | None:
        path = self._path(bucket, key)
        try:
            raw = await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        content_type, _, data = raw.partition(b"\n")
        return data, content_type.decode()

    async def delete(self, bucket: str, key: str) -> None:
        path = self._path(bucket, key)
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            pass

    def public_url(self, bucket: str, key: str) -> str:
        check_location(bucket, key)
        return f"{self.public_base_url}/files/local/{bucket}/{quote(key)}"

    async def close(self) -> None:
        return None


def file_storage_from(settings: Settings) -> FileStorage:
    """Supabase Storage when configured, else local disk under DATA_DIR/files."""
    if settings.supabase_url and settings.supabase_key is not None:
        from server.stores.file_backends_supabase import SupabaseFileStorage

        return SupabaseFileStorage(
            url=settings.supabase_url, key=settings.supabase_key.get_secret_value()
        )
    return LocalFileStorage(settings.data_dir / "files", public_base_url=settings.public_base_url)
