"""What every forum use case starts with (the thread, the caller's membership, the visibility
checks) and how rows become what a reader sees: the same functions shape REST replies and
the events, so an anonymous author is hidden the same way on every route."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from server.domain import forum_access as rules
from server.domain.course_access import Membership
from server.domain.cursors import decode_cursor, encode_cursor
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.events import DomainEvent, course_staff_stream, course_stream, event, user_stream
from server.domain.forum import (
    AnswerRead,
    Endorsement,
    Person,
    ThreadItem,
    ThreadRead,
    Tombstone,
    Votes,
)
from server.domain.forum_access import CLASSMATE, STAFF_AND_AUTHOR, Reader
from server.markdown import render
from server.stores import course_content
from server.stores import forum_posts as posts
from server.stores import forum_threads as threads

# Fields that depend on who reads; events (read by a whole stream) leave them out.
PER_READER = {"mine", "my_vote", "following"}


@dataclass(frozen=True)
class ThreadContext:
    thread: asyncpg.Record
    m: Membership | None
    reader: Reader
    own: bool  # the caller asked the question

    @property
    def id(self) -> uuid.UUID:
        return self.thread["id"]


def membership_of(row: asyncpg.Record) -> Membership | None:
    """From a row's m_role, m_status, m_permissions (a LEFT JOIN on course_members)."""
    if row["m_role"] is None:
        return None
    return Membership.of(
        {"role": row["m_role"], "status": row["m_status"], "permissions": row["m_permissions"]}
    )


async def load_thread(
    conn: asyncpg.Connection,
    thread_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    lock: bool = False,
    for_change: bool = False,
    hidden: Callable[[], NotFound] = rules.thread_not_found,
) -> ThreadContext:
    """404 (`hidden()`) for unknown threads, private ones the caller may not see, and threads of
    deleted courses the caller was not in; 403 for non-members; with `for_change`, 409
    `course_deleted` once the course is gone."""
    row = await threads.with_membership(conn, thread_id, user_id, lock=lock)
    if row is None:
        raise hidden()
    m = membership_of(row)
    deleted_course = row["course_deleted_at"] is not None
    if deleted_course and not rules.can_read_forum(m):
        raise hidden()
    own = row["author_id"] == user_id
    try:
        rules.require_thread_visible(m, private=row["private"], own=own)
    except NotFound:
        raise hidden() from None
    if for_change and deleted_course:
        raise Conflict("The course was deleted.", code="course_deleted")
    return ThreadContext(row, m, rules.reader_of(user_id, m), own)


async def check_module(
    conn: asyncpg.Connection, module_id: uuid.UUID | None, course_id: uuid.UUID
) -> None:
    if module_id is None:
        return
    module = await course_content.get_module(conn, module_id)
    if module is None or module["course_id"] != course_id:
        raise InvalidInput(
            "The module is not one of this course's.",
            code="invalid_module",
            details=[{"field": "body.module_id"}],
        )


def _person(user_id: uuid.UUID, name: str) -> Person:
    return Person(id=user_id, name=name)


def votes_of(row: Any) -> Votes:
    return Votes(
        score=row["upvotes"] - row["downvotes"], upvotes=row["upvotes"], downvotes=row["downvotes"]
    )


def tombstone(post: asyncpg.Record) -> Tombstone | None:
    if post["deleted_at"] is None:
        return None
    by = "author" if post["deleted_by"] == post["author_id"] else "moderator"
    return Tombstone(at=post["deleted_at"], by=by, reason=post["delete_reason"])


def post_fields(post: asyncpg.Record, reader: Reader) -> dict[str, Any]:
    shown = reader.shows_author(author_id=post["author_id"], anonymous=post["anonymous"])
    body = post["body"]
    if post["deleted_at"] is not None and not reader.shows_deleted_body():
        body = None
    endorsed = post["endorsed_by"]
    return {
        "author": _person(post["author_id"], post["author_name"]) if shown else None,
        "anonymous": post["anonymous"],
        "mine": reader.user_id == post["author_id"],
        "body": body,
        "body_html": render(body) if body is not None else None,
        "votes": votes_of(post),
        "my_vote": 0,
        "endorsement": Endorsement(
            by=_person(endorsed, post["endorser_name"]), at=post["endorsed_at"]
        )
        if endorsed
        else None,
        "version": post["version"],
        "created_at": post["created_at"],
        "edited_at": post["edited_at"],
        "deleted": tombstone(post),
    }


def answer_read(
    answer: asyncpg.Record, thread: asyncpg.Record, reader: Reader, my_vote: int = 0
) -> AnswerRead:
    fields = post_fields(answer, reader)
    fields["my_vote"] = my_vote
    return AnswerRead(
        id=answer["id"],
        thread_id=answer["thread_id"],
        accepted=thread["accepted_answer_id"] == answer["id"],
        **fields,
    )


def _thread_fields(thread: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": thread["id"],
        "course_id": thread["course_id"],
        "module_id": thread["module_id"],
        "tags": list(thread["tags"]),
        "private": thread["private"],
        "pinned": thread["pinned"],
        "locked": thread["locked"],
        "answer_count": thread["answer_count"],
        "accepted_answer_id": thread["accepted_answer_id"],
        "last_activity_at": thread["last_activity_at"],
    }


def thread_read(
    thread: asyncpg.Record,
    rows: list[asyncpg.Record],
    reader: Reader,
    *,
    following: bool = False,
) -> ThreadRead:
    """`rows`: the question then its answers (`posts.of_thread`)."""
    question, answers = rows[0], rows[1:]
    fields = post_fields(question, reader)
    fields["my_vote"] = question["my_vote"]
    shown_title = question["title"] if fields["body"] is not None else None
    return ThreadRead(
        **_thread_fields(thread),
        **fields,
        title=shown_title,
        following=following,
        answers=[answer_read(a, thread, reader, a["my_vote"]) for a in answers],
    )


def thread_item(row: Any, reader: Reader) -> ThreadItem:
    """A list row (`threads.thread_list`), or a thread row and its question merged."""
    shown = reader.shows_author(author_id=row["author_id"], anonymous=row["anonymous"])
    return ThreadItem(
        **_thread_fields(row),
        title=row["title"],
        author=_person(row["author_id"], row["author_name"]) if shown else None,
        anonymous=row["anonymous"],
        mine=reader.user_id == row["author_id"],
        endorsed=row["endorsed"],
        votes=votes_of(row),
        created_at=row["created_at"],
    )


def merged(thread: asyncpg.Record, question: asyncpg.Record) -> dict[str, Any]:
    """A thread and its question as one list-shaped row."""
    return {
        **dict(thread),
        **{k: question[k] for k in ("title", "anonymous", "upvotes", "downvotes", "author_name")},
        "endorsed": question["endorsed_by"] is not None,
    }


def audience(thread: asyncpg.Record) -> tuple[tuple[str, ...], Reader]:
    """A public thread's events go to the course (as a classmate reads them); a private one's
    to the course's staff and the thread's author, who may both see who wrote what."""
    if thread["private"]:
        streams = (course_staff_stream(thread["course_id"]), user_stream(thread["author_id"]))
        return streams, STAFF_AND_AUTHOR
    return (course_stream(thread["course_id"]),), CLASSMATE


def forum_event(type: str, thread_row: asyncpg.Record, at: datetime, /, **data: Any) -> DomainEvent:
    """An event about a thread, to the thread's audience; `data` as that audience reads it."""
    streams, _ = audience(thread_row)
    return event(
        type,
        *streams,
        at=at,
        course_id=str(thread_row["course_id"]),
        thread_id=str(thread_row["id"]),
        **data,
    )


def public(model: Any) -> dict[str, Any]:
    """A read model as an event carries it: JSON, without the per-reader fields."""
    return model.model_dump(mode="json", exclude=PER_READER)


def encode_page_cursor(sort: str, row: asyncpg.Record) -> str:
    if sort == "relevance":
        return encode_cursor(sort, row["rank"], row["id"])
    column = {"activity": "last_activity_at", "recent": "created_at", "votes": "score"}[sort]
    return encode_cursor(sort, int(row["pinned"]), row[column], row["id"])


def decode_page_cursor(cursor: str, sort: str) -> tuple[Any, ...]:
    if sort == "relevance":
        keys = decode_cursor(cursor, str, str, str)
    else:
        keys = decode_cursor(cursor, str, int, int if sort == "votes" else str, str)
    try:
        if keys[0] != sort:
            raise ValueError("a cursor of another sort")
        last = uuid.UUID(keys[-1])
        if sort == "relevance":
            return float(keys[1]), last
        pinned = bool(int(keys[1]))
        value = int(keys[2]) if sort == "votes" else datetime.fromisoformat(keys[2])
        return pinned, value, last
    except (TypeError, ValueError):
        raise InvalidInput(
            "The cursor is not valid; start again without it.", code="invalid_cursor"
        ) from None


async def thread_and_posts(
    conn: asyncpg.Connection, ctx: ThreadContext, user_id: uuid.UUID
) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
    """The thread as it is now (after a change) and its posts with the user's votes."""
    fresh = await threads.with_membership(conn, ctx.id, user_id)
    return fresh, await posts.of_thread(conn, ctx.id, user_id)
