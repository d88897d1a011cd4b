"""Supabase Storage through the official async client (storage3's AsyncStorageClient).

The buckets must exist in the Supabase project (profiles public; course-files and submissions
private); objects are written with upsert so `put` replaces like the local backend does.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from storage3 import AsyncStorageClient
from storage3.exceptions import StorageApiError

from server.stores.files import check_location

_NOT_FOUND_CODES = {"not_found", "NoSuchKey", "NotFound"}


def _is_not_found(exc: StorageApiError) -> bool:
    # Storage answers a missing object with 404, or (older versions) 400 + statusCode "404".
    return str(exc.status) == "404" or exc.code in _NOT_FOUND_CODES


class SupabaseFileStorage:
    name = "supabase"

    def __init__(self, *, url: str, key: str, timeout: float = 30.0) -> None:
        self.storage_url = url.rstrip("/") + "/storage/v1"
        headers = {"apiKey": key, "Authorization": f"Bearer {key}"}
        # Our own httpx client: the SDK's own timeout/verify arguments are deprecated, and
        # shutdown must close the connections.
        self._http = httpx.AsyncClient(headers=headers, timeout=timeout, follow_redirects=True)
        # storage3 wants the endpoint with a trailing slash (it warns and fixes it otherwise).
        self._client = AsyncStorageClient(self.storage_url + "/", headers, http_client=self._http)

    async def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        check_location(bucket, key)
        await self._client.from_(bucket).upload(
            key, data, {"content-type": content_type, "upsert": "true"}
        )

    async def get(self, bucket: str, key: str) -> tuple[bytes, str] | None:
        check_location(bucket, key)
        proxy = self._client.from_(bucket)
        try:
            info = await proxy.info(key)
            data = await proxy.download(key)
        except StorageApiError as exc:
            if _is_not_found(exc):
                return None
            raise
        content_type = (
            info.get("content_type")
            or info.get("contentType")
            or (info.get("metadata") or {}).get("mimetype")
            or "application/octet-stream"
        )
        return data, content_type

    async def delete(self, bucket: str, key: str) -> None:
        check_location(bucket, key)
        # Storage answers 200 with the removed objects; a missing one is simply not listed.
        await self._client.from_(bucket).remove([key])

    def public_url(self, bucket: str, key: str) -> str:
        # The shape storage3's (async) get_public_url builds, computed without a round trip.
        check_location(bucket, key)
        return f"{self.storage_url}/object/public/{bucket}/{quote(key)}"

    async def close(self) -> None:
        await self._http.aclose()
