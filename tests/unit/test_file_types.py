"""Content sniffing: the bytes decide, never the name or the claimed type."""

from __future__ import annotations

import io
import zipfile

import pytest

from server.domain.file_types import DOCX, JPEG, PDF, PNG, TXT, WEBP, sniff


def zip_of(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", PNG),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", WEBP),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", PDF),
        (zip_of("[Content_Types].xml", "word/document.xml", "_rels/.rels"), DOCX),
        ("Olá, classe! ✓\nline two\n".encode(), TXT),
        (b"\xef\xbb\xbfwith a BOM", TXT),
    ],
)
def test_recognised(data, expected):
    assert sniff(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"text with a \x00 NUL",
        b"\xff\xfe not utf-8 \xc3\x28",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF but audio
        zip_of("[Content_Types].xml", "xl/workbook.xml"),  # an xlsx is not a document here
        zip_of("word/document.xml"),  # no content types: not a real docx
        b"PK\x03\x04 truncated zip",
        b"GIF89a\x01\x00\x01\x00",
        b"\x89PNG",  # truncated signature
    ],
)
def test_refused(data):
    assert sniff(data) is None


def test_a_text_file_claiming_to_be_jpeg_is_text():
    assert sniff(b"just some text pretending to be a photo") == TXT
