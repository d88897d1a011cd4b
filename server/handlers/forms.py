"""Reading multipart/form-data bodies, the same careful way for every route that takes one.

A form is accepted only when it is whole: every part's headers printable, the text fields
UTF-8 without NUL, and the closing boundary present (a body cut off mid-file must not be stored
as a shorter file). Anything else is a 400 `invalid_multipart` (or 413, 415, 422) in the one
error shape, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from server.domain.file_types import base_name
from server.handlers.errors import ApiError
from server.handlers.io import nul_character, too_large

# Boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
MAX_TEXT_FIELD = 64 * 1024
FILE_FIELD = "file"


@dataclass
class Form:
    texts: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    data: bytes | None = None  # None: no `file` part was sent


def bad_form(message: str) -> ApiError:
    return ApiError(400, "invalid_multipart", message)


def _printable(text: str) -> bool:
    return all(ord(c) >= 32 and ord(c) != 127 for c in text)


def _check_headers(part: BodyPartReader) -> None:
    for name, value in part.headers.items():
        if not (_printable(name) and _printable(value)):
            raise bad_form("A part's headers contain control characters.")
    if part.filename is not None and not _printable(part.filename):
        raise bad_form("The file name contains control characters.")


class _Budget:
    """What the whole form may still hold: a part's own cap bounds one part, this bounds how
    many parts a body may send (10,000 text fields of 64 KB each would be 640 MB)."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.total = total

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise too_large(self.total)


async def _read_bytes(part: BodyPartReader, cap: int, budget: _Budget) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk(1 << 16):
        size += len(chunk)
        if size > cap:
            raise too_large(cap)
        budget.spend(len(chunk))
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_parts(reader: MultipartReader, form: Form, cap: int) -> None:
    budget = _Budget(cap + MULTIPART_OVERHEAD)
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise bad_form("Nested multipart bodies are not accepted.")
        _check_headers(part)
        if part.name == FILE_FIELD and form.data is None:
            form.filename = base_name(part.filename)
            form.data = await _read_bytes(part, cap, budget)
        elif part.name:
            raw = await _read_bytes(part, MAX_TEXT_FIELD, budget)
            text = raw.decode("utf-8")  # strict: a UnicodeDecodeError is a ValueError
            if "\x00" in text:
                raise nul_character(f"body.{part.name}")
            form.texts[part.name] = text
        else:
            await _read_bytes(part, MAX_TEXT_FIELD, budget)  # dropped, but counted
    if not reader.at_eof():
        raise bad_form("The multipart body ends before its closing boundary.")


async def read_form(request: web.Request, *, cap: int) -> Form:
    """The text fields and the `file` part of a multipart body, whole and checked."""
    if request.content_length is not None and request.content_length > cap + MULTIPART_OVERHEAD:
        raise too_large(cap)
    if not request.content_type.startswith("multipart/"):
        raise ApiError(415, "unsupported_media_type", "Send the file as multipart/form-data.")
    form = Form()
    try:
        await _read_parts(await request.multipart(), form, cap)
    except (ValueError, AssertionError, HttpProcessingError, RuntimeError) as exc:
        # aiohttp's words for a broken body: bad boundary, bad headers, truncated stream.
        raise bad_form(f"The multipart body is malformed: {exc}") from None
    return form
