"""The course forum's request and response models.

A thread is a question (a post whose id is the thread's) with its state (tags, module, pinned,
locked, the accepted answer); answers are posts in it. Posts are Markdown: `body` is what the
author wrote, `body_html` its rendering, sanitised (server/markdown.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from server.domain.cursors import Cursor
from server.domain.patches import PartialUpdate

Sort = Literal["relevance", "recent", "votes", "activity"]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=20_000, pattern=r"\S")]
Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=30, pattern=r"^[\w-]+$"
    ),
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def _distinct(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


class ThreadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body
    tags: list[Tag] = Field(default_factory=list, max_length=5)
    module_id: uuid.UUID | None = None
    anonymous: bool = Field(False, description="Hide the author from classmates (students only).")
    private: bool = Field(False, description="Visible to the course's staff and the author only.")

    _tags = field_validator("tags")(_distinct)


class ThreadUpdate(PartialUpdate):
    """The author (or staff) edits the text; only staff pin and lock."""

    nullable: ClassVar[frozenset[str]] = frozenset({"module_id"})

    title: Title | None = None
    body: Body | None = None
    tags: list[Tag] | None = Field(None, max_length=5)
    module_id: uuid.UUID | None = None
    pinned: bool | None = None
    locked: bool | None = None

    _tags = field_validator("tags")(lambda v: None if v is None else _distinct(v))

    def moderation(self) -> set[str]:
        return self.model_fields_set & {"pinned", "locked"}

    def text(self) -> set[str]:
        return self.model_fields_set & {"title", "body"}


class AnswerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body
    anonymous: bool = Field(False, description="Hide the author from classmates (students only).")


class AnswerUpdate(PartialUpdate):
    body: Body | None = None


class VoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Literal[-1, 0, 1] = Field(description="1 up, -1 down, 0 takes the vote back.")


class DeleteQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = Field(
        None, description="Shown on the tombstone; required when staff delete someone's post."
    )


class ThreadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = Field(None, description="Full-text search (Spanish and English, accents ignored).")
    tag: Tag | None = None
    module_id: uuid.UUID | None = None
    unanswered: bool = False
    sort: Sort | None = Field(None, description="Default: relevance with q, activity without.")
    cursor: Cursor | None = None
    limit: int = Field(20, ge=1, le=50)

    def effective_sort(self) -> Sort:
        return self.sort or ("relevance" if self.q else "activity")


class Person(BaseModel):
    id: uuid.UUID
    name: str


class Tombstone(BaseModel):
    at: datetime
    by: Literal["author", "moderator"]
    reason: str | None


class Endorsement(BaseModel):
    by: Person
    at: datetime


class Votes(BaseModel):
    score: int
    upvotes: int
    downvotes: int


class PostFields(BaseModel):
    """What a question and an answer share. `author` is null when the post is anonymous and
    the reader is a classmate; `body` is null on a tombstone (staff still read it)."""

    author: Person | None
    anonymous: bool
    mine: bool = False
    body: str | None
    body_html: str | None
    votes: Votes
    my_vote: int = 0
    endorsement: Endorsement | None
    version: int
    created_at: datetime
    edited_at: datetime | None
    deleted: Tombstone | None


class AnswerRead(PostFields):
    id: uuid.UUID
    thread_id: uuid.UUID
    accepted: bool


class ThreadItem(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    module_id: uuid.UUID | None
    title: str
    tags: list[str]
    author: Person | None
    anonymous: bool
    mine: bool = False
    private: bool
    pinned: bool
    locked: bool
    endorsed: bool
    votes: Votes
    answer_count: int
    accepted_answer_id: uuid.UUID | None
    created_at: datetime
    last_activity_at: datetime


class ThreadPage(BaseModel):
    items: list[ThreadItem]
    next_cursor: str | None


class ThreadRead(PostFields):
    id: uuid.UUID
    course_id: uuid.UUID
    module_id: uuid.UUID | None
    title: str | None
    tags: list[str]
    private: bool
    pinned: bool
    locked: bool
    answer_count: int
    accepted_answer_id: uuid.UUID | None
    last_activity_at: datetime
    following: bool = False
    answers: list[AnswerRead] = Field(default_factory=list)


class VoteRead(Votes):
    post_id: uuid.UUID
    my_vote: int


class VersionRead(BaseModel):
    version: int
    title: str | None
    body: str
    body_html: str
    written_by: Person | None
    written_at: datetime


class HistoryRead(BaseModel):
    post_id: uuid.UUID
    kind: Literal["question", "answer"]
    versions: list[VersionRead] = Field(description="Newest first; the first is the current one.")


class FollowRead(BaseModel):
    thread_id: uuid.UUID
    following: bool
