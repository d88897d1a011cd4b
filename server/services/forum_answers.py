"""Forum answers: answer a thread (not a locked one), edit (history kept), delete to a
tombstone, and accept one (the thread's author or staff; accepting another moves it)."""

from __future__ import annotations

import uuid

import asyncpg

from server.domain import forum_access as rules
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.forum import AnswerCreate, AnswerRead, AnswerUpdate
from server.domain.forum_access import PostingLimit
from server.pg_pool import Pool
from server.services import forum_views as views
from server.services.course_context import log_if_assistant
from server.services.forum_posting import (
    bury,
    mention_events,
    require_forum_posting_permission,
    require_may_post,
)
from server.services.unit_of_work import unit_of_work
from server.stores import forum_follows as follows
from server.stores import forum_posts as posts
from server.stores import forum_threads as threads


async def load_answer(
    conn: asyncpg.Connection,
    answer_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    lock: bool = False,
    lock_thread: bool = False,
    for_change: bool = False,
) -> tuple[asyncpg.Record, views.ThreadContext]:
    """The answer and its thread's context; 404 `answer_not_found` wherever the thread is
    hidden from the caller. The answer's row is locked before its thread's (the order every
    forum change takes)."""
    answer = await posts.get(conn, answer_id, lock=lock)
    if answer is None or answer["kind"] != "answer":
        raise rules.answer_not_found()
    ctx = await views.load_thread(
        conn,
        answer["thread_id"],
        user_id,
        lock=lock_thread,
        for_change=for_change,
        hidden=rules.answer_not_found,
    )
    return answer, ctx


async def create_answer(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    thread_id: uuid.UUID,
    data: AnswerCreate,
    limit: PostingLimit,
) -> AnswerRead:
    actor_id, answer_id = context.actor_id, uuid.uuid4()
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        ctx = await views.load_thread(conn, thread_id, actor_id, lock=True, for_change=True)
        thread = ctx.thread
        rules.check_live(thread["deleted_at"])
        rules.check_open(locked=thread["locked"])
        rules.check_anonymous(ctx.m, data.anonymous)
        await require_may_post(conn, actor_id, now=now, limit=limit)
        await posts.insert(
            conn,
            post_id=answer_id,
            thread_id=thread_id,
            course_id=thread["course_id"],
            author_id=actor_id,
            anonymous=data.anonymous,
            title=None,
            body=data.body,
            now=now,
        )
        await threads.answer_added(conn, thread_id, now)
        await follows.follow(conn, thread_id, actor_id, now)  # whoever answers follows
        answer = await posts.get(conn, answer_id)
        question = await posts.get(conn, thread_id)
        _, audience = views.audience(thread)
        shown = views.answer_read(answer, thread, audience)
        uow.record(
            views.forum_event(
                "forum.answer_created", thread, now,
                answer_id=str(answer_id), title=question["title"], answer=views.public(shown),
            ),
            *await mention_events(
                conn, thread, post_id=answer_id, author_id=actor_id, title=question["title"],
                before=None, after=data.body, now=now,
            ),
        )  # fmt: skip
        uow.audit(
            "forum_answer.create",
            target=("forum_answer", answer_id),
            changes=changes_between(None, {"thread_id": thread_id, **data.model_dump(mode="json")}),
        )
        return views.answer_read(answer, thread, ctx.reader)


async def update_answer(
    *, pool: Pool, clock: Clock, context: RequestContext, answer_id: uuid.UUID, data: AnswerUpdate
) -> AnswerRead:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        answer, ctx = await load_answer(conn, answer_id, actor_id, lock=True, for_change=True)
        own = answer["author_id"] == actor_id
        rules.require_author_or_moderator(ctx.m, own=own, action="edit this answer")
        rules.check_live(answer["deleted_at"])
        my_vote = await posts.my_vote(conn, answer_id, actor_id)
        if data.body == answer["body"]:
            uow.unchanged()
            return views.answer_read(answer, ctx.thread, ctx.reader, my_vote)
        await require_forum_posting_permission(conn, actor_id)
        await posts.edit(conn, answer, title=None, body=data.body, editor_id=actor_id, now=now)
        if not own:
            await log_if_assistant(
                conn, ctx.m, course_id=ctx.thread["course_id"], actor_id=actor_id,
                action="forum_answer.updated", now=now, answer_id=answer_id,
            )  # fmt: skip
        edited = await posts.get(conn, answer_id)
        question = await posts.get(conn, ctx.id)
        _, audience = views.audience(ctx.thread)
        shown = views.answer_read(edited, ctx.thread, audience)
        uow.record(
            views.forum_event(
                "forum.answer_updated", ctx.thread, now, answer_id=str(answer_id),
                fields=["body"], answer=views.public(shown),
            ),
            *await mention_events(
                conn, ctx.thread, post_id=answer_id, author_id=answer["author_id"],
                title=question["title"], before=answer["body"], after=data.body, now=now,
            ),
        )  # fmt: skip
        uow.audit(
            "forum_answer.update",
            target=("forum_answer", answer_id),
            changes={"body": [answer["body"], data.body]},
        )
        return views.answer_read(edited, ctx.thread, ctx.reader, my_vote)


async def delete_answer(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    answer_id: uuid.UUID,
    reason: str | None,
) -> None:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        answer, ctx = await load_answer(
            conn, answer_id, actor_id, lock=True, lock_thread=True, for_change=True
        )
        await bury(uow, ctx, answer, reason=reason)
        await threads.answer_removed(conn, ctx.id, answer_id)  # and no longer accepted


async def accept_answer(
    *, pool: Pool, clock: Clock, context: RequestContext, answer_id: uuid.UUID
) -> AnswerRead:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        answer, ctx = await load_answer(
            conn, answer_id, actor_id, lock_thread=True, for_change=True
        )
        rules.require_author_or_moderator(ctx.m, own=ctx.own, action="accept an answer")
        rules.check_live(answer["deleted_at"])
        previous = ctx.thread["accepted_answer_id"]
        my_vote = await posts.my_vote(conn, answer_id, actor_id)
        if previous == answer_id:
            uow.unchanged()
            return views.answer_read(answer, ctx.thread, ctx.reader, my_vote)
        await threads.set_accepted(conn, ctx.id, answer_id)
        thread = await threads.with_membership(conn, ctx.id, actor_id)
        uow.record(
            views.forum_event(
                "forum.answer_accepted", thread, now, answer_id=str(answer_id),
                previous_answer_id=str(previous) if previous else None,
            )
        )  # fmt: skip
        uow.audit(
            "forum_answer.accept",
            target=("forum_answer", answer_id),
            changes={"accepted_answer_id": [str(previous) if previous else None, str(answer_id)]},
        )
        return views.answer_read(answer, thread, ctx.reader, my_vote)
