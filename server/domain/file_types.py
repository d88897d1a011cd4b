"""What a file really is, judged by its bytes (magic numbers), never by its name or the type
the client claims. Pure: the caller already holds the bytes."""

from __future__ import annotations

import io
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


def _is_docx(data: bytes) -> bool:
    # A .docx is a zip whose parts live under word/ and that declares its content types; other
    # zips (xlsx, plain archives) are not documents we accept.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
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
