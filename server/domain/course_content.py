"""Modules and resources of a course: their pydantic family and the reorder rule."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

from server.domain.errors import InvalidInput
from server.domain.file_types import DOCUMENTS, IMAGES, sniff
from server.domain.patches import PartialUpdate

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class LinkKind(StrEnum):
    link = "link"
    video = "video"


class ModuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    description: str = Field("", max_length=5000)


class ModuleUpdate(PartialUpdate):
    title: Title | None = None
    description: str | None = Field(None, max_length=5000)


class ResourceCreate(BaseModel):
    """A link or a video; files are uploaded as multipart/form-data (fields `title`, `file`)."""

    model_config = ConfigDict(extra="forbid")
    kind: LinkKind
    title: Title
    url: HttpUrl


class ResourceUpdate(PartialUpdate):
    title: Title | None = None
    url: HttpUrl | None = Field(None, description="Links and videos only.")


class FileInfo(BaseModel):
    content_type: str
    size_bytes: int
    download_path: str = Field(description="GET it with the bearer token; members only.")


class ResourceRead(BaseModel):
    id: uuid.UUID
    module_id: uuid.UUID
    kind: str
    title: str
    url: str | None = None
    file: FileInfo | None = None
    position: int
    updated_at: datetime


class ModuleRead(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    title: str
    description: str
    position: int
    resources: list[ResourceRead] = Field(default_factory=list)
    updated_at: datetime


class ModulesRead(BaseModel):
    items: list[ModuleRead]


class OrderBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[uuid.UUID] = Field(max_length=1000, description="Every id, once, in the new order.")


def check_permutation(current: list[uuid.UUID], proposed: list[uuid.UUID], what: str) -> None:
    """The new order must name every existing item exactly once and nothing else."""
    counts = Counter(proposed)
    duplicates = sorted(str(i) for i, n in counts.items() if n > 1)
    missing = sorted(str(i) for i in set(current) - set(proposed))
    unknown = sorted(str(i) for i in set(proposed) - set(current))
    if duplicates or missing or unknown:
        raise InvalidInput(
            f"ids must list each of the {len(current)} {what} exactly once.",
            code="not_a_permutation",
            details=[{"missing": missing, "unknown": unknown, "duplicates": duplicates}],
        )


COURSE_FILE_TYPES = DOCUMENTS | IMAGES


def course_file_type(data: bytes) -> str:
    """The content type of an uploaded course file, judged by its bytes; documents and images
    only."""
    kind = sniff(data)
    if kind not in COURSE_FILE_TYPES:
        raise InvalidInput(
            "Upload a document (pdf, docx, txt) or an image (png, jpeg, webp).",
            code="unsupported_file_type",
            details=[{"field": "body.file", "allowed": sorted(COURSE_FILE_TYPES)}],
        )
    return kind  # type: ignore[return-value]
