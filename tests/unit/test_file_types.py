"""Content sniffing: the bytes decide, never the name or the claimed type."""

from __future__ import annotations

import io
import random
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


def docx_with(parts: dict[str, int], *, chunk: bytes = bytes(1 << 20)) -> bytes:
    """A docx whose `parts` ({name: unpacked size}) hold `chunk` repeated, deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name, size in parts.items():
            with archive.open(name, "w", force_zip64=size > 2**31) as part:
                for start in range(0, size, len(chunk)):
                    part.write(chunk[: size - start])
    return buf.getvalue()


def test_a_docx_that_unpacks_to_far_more_than_documents_do_is_refused():
    bomb = docx_with({"word/document.xml": 300 << 20})  # 300 MB of zeros
    assert len(bomb) < 1 << 20  # what the server receives is small
    assert sniff(bomb) is None


def test_a_part_packed_implausibly_tight_is_refused():
    assert sniff(docx_with({"word/document.xml": 8 << 20})) is None  # 8 MB of zeros: ~1000x


def test_a_docx_of_too_many_parts_is_refused():
    assert sniff(zip_of("[Content_Types].xml", *(f"word/p{i}.xml" for i in range(2001)))) is None


def test_parts_sharing_their_bytes_are_refused():
    """The overlapping kind of bomb: central-directory entries whose data runs into the next
    entry's (every part unpacks the same stream)."""
    data = bytearray(zip_of("[Content_Types].xml", "word/document.xml", "word/styles.xml"))
    assert sniff(bytes(data)) == DOCX
    entry = data.index(b"PK\x01\x02")  # the first central-directory entry
    data[entry + 20 : entry + 24] = (len(data) // 2).to_bytes(4, "little")  # its packed size
    assert sniff(bytes(data)) is None


def test_a_large_real_looking_docx_is_still_a_docx():
    vocabulary = "the of and a to in is you that it he was for on are as with his they".split()
    pick = random.Random(7).choice
    prose = " ".join(pick(vocabulary) for _ in range(200_000)).encode()[: 1 << 20]
    paragraphs = prose.replace(b" he ", b"</w:t></w:r></w:p><w:p><w:r><w:t>")
    assert sniff(docx_with({"word/document.xml": 20 << 20}, chunk=paragraphs)) == DOCX
