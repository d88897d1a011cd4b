"""Who may do what in a course's forum, and what each reader sees. Pure.

Built on the course rules (`server.domain.course_access`): the course's members (students not
removed, assistants, the owner) read and post; its staff (owner and assistants) moderate:
pin, lock, endorse, edit or delete anyone's post (with a reason, kept on the tombstone).

Privacy: an anonymous post hides its author from classmates (staff and the author still see
who wrote it); a private thread, and everything in it, exists only for the course's staff and
its author — for anyone else it is a 404, as if it did not exist.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from server.domain import course_access as access
from server.domain.course_access import Membership
from server.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited

can_read_forum = access.is_member
can_post = access.is_member
can_moderate = access.is_staff


def thread_not_found() -> NotFound:
    return NotFound("No such thread.", code="thread_not_found")


def answer_not_found() -> NotFound:
    return NotFound("No such answer.", code="answer_not_found")


def require_member(m: Membership | None, action: str) -> None:
    access.require(can_read_forum, m, action)


def require_thread_visible(m: Membership | None, *, private: bool, own: bool) -> None:
    """Members read public threads; a private one exists only for staff and its author."""
    require_member(m, "read the forum")
    if private and not (own or can_moderate(m)):
        raise thread_not_found()


def require_moderator(m: Membership | None, action: str) -> None:
    access.require(can_moderate, m, action)


def require_author_or_moderator(m: Membership | None, *, own: bool, action: str) -> None:
    require_member(m, action)
    if not (own or can_moderate(m)):
        raise PermissionDenied(f"Only the author or the course's staff may {action}.")


def check_anonymous(m: Membership | None, anonymous: bool) -> None:
    """Anonymity protects students from classmates; staff speak as themselves."""
    if anonymous and not access.is_student(m):
        raise InvalidInput(
            "Only students may post anonymously.",
            code="anonymous_not_allowed",
            details=[{"field": "body.anonymous"}],
        )


def check_vote(*, own: bool) -> None:
    if own:
        raise InvalidInput("You cannot vote on your own post.", code="own_post")


def check_open(*, locked: bool) -> None:
    if locked:
        raise Conflict("The thread is locked: it takes no new answers.", code="thread_locked")


def check_live(deleted_at: datetime | None) -> None:
    if deleted_at is not None:
        raise Conflict("The post was deleted.", code="post_deleted")


def deletion_by(
    m: Membership | None, *, own: bool, reason: str | None
) -> Literal["author", "moderator"]:
    """Authors delete their own posts (a reason is optional); staff delete anyone's, saying
    why, since the tombstone shows it to the class."""
    require_author_or_moderator(m, own=own, action="delete this post")
    if own:
        return "author"
    if reason is None:
        raise InvalidInput(
            "Say why the post is removed: the reason stays on its tombstone.",
            code="reason_required",
            details=[{"field": "query.reason"}],
        )
    return "moderator"


@dataclass(frozen=True)
class Reader:
    """Who reads a post: a user (REST) or a stream's audience (events: `user_id` None)."""

    user_id: uuid.UUID | None
    staff: bool

    def shows_author(self, *, author_id: uuid.UUID, anonymous: bool) -> bool:
        return not anonymous or self.staff or self.user_id == author_id

    def shows_deleted_body(self) -> bool:
        return self.staff


def reader_of(user_id: uuid.UUID, m: Membership | None) -> Reader:
    return Reader(user_id, can_moderate(m))


# Events go to the course's stream for public threads (read as a classmate would), and to the
# staff stream plus the author's own stream for private ones (both may see the author).
CLASSMATE = Reader(None, staff=False)
STAFF_AND_AUTHOR = Reader(None, staff=True)


@dataclass(frozen=True)
class PostingLimit:
    posts: int
    window: timedelta


def check_rate(recent: list[datetime], *, now: datetime, limit: PostingLimit) -> None:
    """`recent`: the user's posts inside the window, oldest first."""
    if len(recent) < limit.posts:
        return
    frees_at = recent[-limit.posts] + limit.window
    raise RateLimited(
        math.ceil((frees_at - now).total_seconds()),
        f"You can post {limit.posts} times every {int(limit.window.total_seconds())} seconds; "
        "try again shortly.",
    )
