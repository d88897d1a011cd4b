"""What a file really is, judged by its bytes (magic numbers), never by its name or the type
the client claims. Pure: the caller already holds the bytes."""

from __future__ import annotations

import io
import itertools
import zipfile

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TXT = "text/plain"

IMAGES = frozenset({JPEG, PNG, WEBP})
DOCUMENTS = frozenset({PDF, DOCX, TXT})

EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp", PDF: "pdf", DOCX: "docx", TXT: "txt"}


# A real .docx of a few hundred pages: a few hundred parts, tens of MB of XML once unpacked,
# each part deflated 5-30 times. A zip bomb is small and unpacks to gigabytes: the server never
# unpacks one, but whoever opens the document (a teacher's word processor) would.
MAX_DOCX_PARTS = 2000
MAX_DOCX_UNPACKED = 200 * 1024 * 1024
MAX_PART_RATIO = 200  # unpacked / packed, for a part over 1 MB unpacked
_RATIO_FLOOR = 1024 * 1024


def _is_bomb(archive: zipfile.ZipFile) -> bool:
    """Judged by the central directory (no part is unpacked): too many parts, too much once
    unpacked, a part packed implausibly tight, or parts that share bytes (the overlapping
    kind of bomb that reuses one deflate stream for every part)."""
    infos = archive.infolist()
    if len(infos) > MAX_DOCX_PARTS:
        return True
    if sum(i.file_size for i in infos) > MAX_DOCX_UNPACKED:
        return True
    for info in infos:
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_PART_RATIO * max(
            info.compress_size, 1
        ):
            return True
    spans = sorted((i.header_offset, i.header_offset + i.compress_size) for i in infos)
    return any(start < end for (_, end), (start, _) in itertools.pairwise(spans))


def _is_docx(data: bytes) -> bool:
    # A .docx is a zip whose parts live under word/ and that declares its content types; other
    # zips (xlsx, plain archives) are not documents we accept, nor are zip bombs.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if _is_bomb(archive):
                return False
    except (zipfile.BadZipFile, ValueError, EOFError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("word/") for n in names)


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sniff(data: bytes) -> str | None:
    """The MIME type of `data` among jpeg, png, webp, pdf, docx and UTF-8 text, else None."""
    if not data:
        return None
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return DOCX if _is_docx(data) else None
    return TXT if _is_text(data) else None


def base_name(filename: str | None) -> str | None:
    """The last segment of a client's file name, either slash counted, without control
    characters or leading dots: a display name, never a path (`../../etc/passwd` is `passwd`)."""
    if filename is None:
        return None
    last = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in last if ord(c) >= 32 and ord(c) != 127).strip().lstrip(".") or None
