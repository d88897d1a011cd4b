"""What readers do to posts: vote (one vote per user and post, never on your own), endorse
(staff), follow a thread, read a post's edit history. A question is voted, endorsed and
versioned as the post whose id is its thread's."""

from __future__ import annotations

import uuid
from typing import Literal

import asyncpg

from server.domain import forum_access as rules
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.errors import NotFound
from server.domain.forum import HistoryRead, Person, VersionRead, VoteRead
from server.markdown import render
from server.pg_pool import Pool
from server.services import forum_views as views
from server.services.course_context import log_if_assistant
from server.services.unit_of_work import unit_of_work
from server.stores import forum_follows as follows
from server.stores import forum_posts as posts
from server.stores import forum_threads as threads

Kind = Literal["question", "answer"]


def _missing(kind: Kind) -> NotFound:
    return rules.thread_not_found() if kind == "question" else rules.answer_not_found()


async def load_post(
    conn: asyncpg.Connection,
    post_id: uuid.UUID,
    kind: Kind,
    user_id: uuid.UUID,
    *,
    lock: bool = False,
    for_change: bool = False,
) -> tuple[asyncpg.Record, views.ThreadContext]:
    post = await posts.get(conn, post_id, lock=lock)
    if post is None or post["kind"] != kind:
        raise _missing(kind)
    ctx = await views.load_thread(
        conn, post["thread_id"], user_id, for_change=for_change, hidden=lambda: _missing(kind)
    )
    return post, ctx


async def vote(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    post_id: uuid.UUID,
    kind: Kind,
    value: int,
) -> VoteRead:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        # The post's row lock orders concurrent votes on it: each sees the one before.
        post, ctx = await load_post(conn, post_id, kind, actor_id, lock=True, for_change=True)
        rules.check_live(post["deleted_at"])
        rules.check_vote(own=post["author_id"] == actor_id)
        old = await posts.my_vote(conn, post_id, actor_id)
        if old == value:
            uow.unchanged()
            return VoteRead(post_id=post_id, my_vote=old, **views.votes_of(post).model_dump())
        await posts.put_vote(conn, post_id, actor_id, value, now)
        counts = await posts.add_votes(
            conn, post_id, up=(value == 1) - (old == 1), down=(value == -1) - (old == -1)
        )
        votes = views.votes_of(counts)
        if kind == "question":
            await threads.set_score(conn, ctx.id, votes.score)
        uow.record(
            views.forum_event(
                "forum.vote_changed", ctx.thread, now,
                post_id=str(post_id), kind=kind, **votes.model_dump(),
            )
        )  # fmt: skip
        uow.audit(
            "forum_vote.set",
            target=("forum_vote", f"{post_id}:{actor_id}"),
            changes={"value": [old, value]},
        )
        return VoteRead(post_id=post_id, my_vote=value, **votes.model_dump())


async def endorse(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    post_id: uuid.UUID,
    kind: Kind,
    on: bool,
) -> None:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        post, ctx = await load_post(conn, post_id, kind, actor_id, lock=True, for_change=True)
        rules.require_moderator(ctx.m, "endorse posts")
        rules.check_live(post["deleted_at"])
        if (post["endorsed_by"] is not None) == on:
            uow.unchanged()
            return
        await posts.set_endorsement(
            conn, post_id, by=actor_id if on else None, now=now if on else None
        )
        await log_if_assistant(
            conn, ctx.m, course_id=ctx.thread["course_id"], actor_id=actor_id,
            action=f"forum_{'thread' if kind == 'question' else 'answer'}.endorsed",
            now=now, post_id=post_id, endorsed=on,
        )  # fmt: skip
        _, audience = views.audience(ctx.thread)
        changed = await posts.get(conn, post_id)
        if kind == "question":
            thread = await threads.with_membership(conn, ctx.id, actor_id)
            shown = views.thread_item(views.merged(thread, changed), audience)
            uow.record(
                views.forum_event(
                    "forum.thread_updated", ctx.thread, now,
                    fields=["endorsement"], thread=views.public(shown),
                )
            )  # fmt: skip
        else:
            shown = views.answer_read(changed, ctx.thread, audience)
            uow.record(
                views.forum_event(
                    "forum.answer_updated", ctx.thread, now,
                    answer_id=str(post_id), fields=["endorsement"], answer=views.public(shown),
                )
            )  # fmt: skip
        target = "forum_thread" if kind == "question" else "forum_answer"
        uow.audit(
            f"{target}.{'endorse' if on else 'unendorse'}",
            target=(target, post_id),
            changes={"endorsed": [not on, on]},
        )


async def set_following(
    *, pool: Pool, clock: Clock, context: RequestContext, thread_id: uuid.UUID, on: bool
) -> None:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        await views.load_thread(conn, thread_id, actor_id)
        if on:
            changed = await follows.follow(conn, thread_id, actor_id, now)
        else:
            changed = await follows.unfollow(conn, thread_id, actor_id)
        if not changed:  # PUT and DELETE are idempotent
            uow.unchanged()
            return
        uow.audit(
            "forum_thread.follow" if on else "forum_thread.unfollow",
            target=("forum_thread", thread_id),
            changes={"following": [not on, on]},
        )


async def history(
    *, pool: Pool, clock: Clock, actor_id: uuid.UUID, post_id: uuid.UUID, kind: Kind
) -> HistoryRead:
    """Every version, newest first. The writer of a version is hidden where the post's author
    is (an anonymous author's own edits); a tombstone's history is for staff only."""
    async with pool.acquire() as conn:
        post, ctx = await load_post(conn, post_id, kind, actor_id)
        earlier = await posts.versions(conn, post_id)
    if post["deleted_at"] is not None and not ctx.reader.shows_deleted_body():
        raise NotFound("The post was deleted.", code="post_deleted")

    def writer(user_id: uuid.UUID, name: str) -> Person | None:
        hidden = user_id == post["author_id"] and not ctx.reader.shows_author(
            author_id=post["author_id"], anonymous=post["anonymous"]
        )
        return None if hidden else Person(id=user_id, name=name)

    current_writer = post["edited_by"] or post["author_id"]
    current_name = post["editor_name"] or post["author_name"]
    versions = [
        VersionRead(
            version=post["version"],
            title=post["title"],
            body=post["body"],
            body_html=render(post["body"]),
            written_by=writer(current_writer, current_name),
            written_at=post["edited_at"] or post["created_at"],
        ),
        *(
            VersionRead(
                version=v["version"],
                title=v["title"],
                body=v["body"],
                body_html=render(v["body"]),
                written_by=writer(v["written_by"], v["writer_name"]),
                written_at=v["written_at"],
            )
            for v in earlier
        ),
    ]
    return HistoryRead(post_id=post_id, kind=kind, versions=versions)
