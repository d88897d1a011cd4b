"""Forum threads: ask a question, list and search a course's threads, read one with its
answers, edit it (the author or staff; pin and lock: staff), delete it to a tombstone."""

from __future__ import annotations

import uuid
from typing import Any

from server.domain import course_access as access
from server.domain import forum_access as rules
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.errors import InvalidInput, NotFound
from server.domain.forum import ThreadCreate, ThreadPage, ThreadQuery, ThreadRead, ThreadUpdate
from server.domain.forum_access import PostingLimit
from server.pg_pool import Pool
from server.services import forum_views as views
from server.services.course_context import course_and_membership, log_if_assistant
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


async def create_thread(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    course_id: uuid.UUID,
    data: ThreadCreate,
    limit: PostingLimit,
) -> ThreadRead:
    actor_id, thread_id = context.actor_id, uuid.uuid4()
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        _, m = await course_and_membership(conn, course_id, actor_id, for_change=True)
        rules.require_member(m, "post in the forum")
        rules.check_anonymous(m, data.anonymous)
        await views.check_module(conn, data.module_id, course_id)
        await require_may_post(conn, actor_id, now=now, limit=limit)
        await threads.insert(
            conn,
            thread_id=thread_id,
            course_id=course_id,
            module_id=data.module_id,
            author_id=actor_id,
            private=data.private,
            tags=data.tags,
            now=now,
        )
        await posts.insert(
            conn,
            post_id=thread_id,
            thread_id=thread_id,
            course_id=course_id,
            author_id=actor_id,
            anonymous=data.anonymous,
            title=data.title,
            body=data.body,
            now=now,
        )
        await follows.follow(conn, thread_id, actor_id, now)
        ctx = await views.load_thread(conn, thread_id, actor_id)
        rows = await posts.of_thread(conn, thread_id, actor_id)
        _, audience = views.audience(ctx.thread)
        item = views.thread_item(views.merged(ctx.thread, rows[0]), audience)
        uow.record(
            views.forum_event("forum.thread_created", ctx.thread, now, thread=views.public(item))
        )
        uow.record(
            *await mention_events(
                conn, ctx.thread, post_id=thread_id, author_id=actor_id, title=data.title,
                before=None, after=data.body, now=now,
            )
        )  # fmt: skip
        uow.audit(
            "forum_thread.create",
            target=("forum_thread", thread_id),
            changes=changes_between(None, {"course_id": course_id, **data.model_dump(mode="json")}),
        )
        return views.thread_read(ctx.thread, rows, ctx.reader, following=True)


async def list_threads(
    *, pool: Pool, clock: Clock, actor_id: uuid.UUID, course_id: uuid.UUID, query: ThreadQuery
) -> ThreadPage:
    sort = query.effective_sort()
    if sort == "relevance" and not query.q:
        raise InvalidInput(
            "Sorting by relevance needs a search (q).",
            code="relevance_needs_q",
            details=[{"field": "query.sort"}],
        )
    after = views.decode_page_cursor(query.cursor, sort) if query.cursor else None
    async with pool.acquire() as conn:
        standing = await threads.course_standing(conn, course_id, actor_id)
        if standing is None:
            raise NotFound("No such course.", code="course_not_found")
        m = views.membership_of(standing)
        access.require_visible(m, deleted=standing["deleted_at"] is not None)
        rules.require_member(m, "read the forum")
        reader = rules.reader_of(actor_id, m)
        rows = await threads.thread_list(
            conn,
            course_id=course_id,
            viewer_id=actor_id,
            staff=reader.staff,
            q=query.q,
            tag=query.tag,
            module_id=query.module_id,
            unanswered=query.unanswered,
            sort=sort,
            after=after,
            limit=query.limit + 1,
        )
    page = rows[: query.limit]
    more = len(rows) > query.limit
    return ThreadPage(
        items=[views.thread_item(r, reader) for r in page],
        next_cursor=views.encode_page_cursor(sort, page[-1]) if more else None,
    )


async def get_thread(
    *, pool: Pool, clock: Clock, actor_id: uuid.UUID, thread_id: uuid.UUID
) -> ThreadRead:
    async with pool.acquire() as conn:
        ctx = await views.load_thread(conn, thread_id, actor_id)
        rows = await posts.of_thread(conn, thread_id, actor_id)
        following = await follows.is_following(conn, thread_id, actor_id)
    return views.thread_read(ctx.thread, rows, ctx.reader, following=following)


def _thread_changes(thread: Any, data: ThreadUpdate) -> dict[str, Any]:
    wanted = data.model_dump(include={"tags", "module_id", "pinned", "locked"}, exclude_unset=True)
    return {k: v for k, v in wanted.items() if (list(thread[k]) if k == "tags" else thread[k]) != v}


async def update_thread(
    *, pool: Pool, clock: Clock, context: RequestContext, thread_id: uuid.UUID, data: ThreadUpdate
) -> ThreadRead:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        question = await posts.get(conn, thread_id, lock=True)  # posts before threads, always
        ctx = await views.load_thread(conn, thread_id, actor_id, lock=True, for_change=True)
        if data.moderation():
            rules.require_moderator(ctx.m, "pin or lock threads")
        if data.model_fields_set - data.moderation():
            rules.require_author_or_moderator(ctx.m, own=ctx.own, action="edit this thread")
        rules.check_live(question["deleted_at"])
        if "module_id" in data.model_fields_set:
            await views.check_module(conn, data.module_id, ctx.thread["course_id"])
        changes = _thread_changes(ctx.thread, data)
        text = {"title": data.title or question["title"], "body": data.body or question["body"]}
        text_moved = {k for k in data.text() if text[k] != question[k]}
        if not changes and not text_moved:
            uow.unchanged()
            rows = await posts.of_thread(conn, thread_id, actor_id)
            following = await follows.is_following(conn, thread_id, actor_id)
            return views.thread_read(ctx.thread, rows, ctx.reader, following=following)
        if text_moved:
            await require_forum_posting_permission(conn, actor_id)
            await posts.edit(conn, question, **text, editor_id=actor_id, now=now)
        await threads.update(conn, thread_id, changes)
        if data.moderation() or (text_moved and not ctx.own):
            await log_if_assistant(
                conn, ctx.m, course_id=ctx.thread["course_id"], actor_id=actor_id,
                action="forum_thread.updated", now=now, thread_id=thread_id,
                fields=sorted({*changes, *text_moved}),
            )  # fmt: skip
        thread, rows = await views.thread_and_posts(conn, ctx, actor_id)
        _, audience = views.audience(thread)
        item = views.thread_item(views.merged(thread, rows[0]), audience)
        uow.record(
            views.forum_event(
                "forum.thread_updated", thread, now,
                fields=sorted({*changes, *text_moved}), thread=views.public(item),
            ),
            *await mention_events(
                conn, thread, post_id=thread_id, author_id=question["author_id"],
                title=text["title"], before=question["body"], after=text["body"], now=now,
            ),
        )  # fmt: skip
        before = {**{k: question[k] for k in text_moved}, **{k: ctx.thread[k] for k in changes}}
        if "tags" in before:
            before["tags"] = list(before["tags"])
        after = {**{k: text[k] for k in text_moved}, **changes}
        uow.audit(
            "forum_thread.update",
            target=("forum_thread", thread_id),
            changes=changes_between(before, after),
        )
        following = await follows.is_following(conn, thread_id, actor_id)
        return views.thread_read(thread, rows, ctx.reader, following=following)


async def delete_thread(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    thread_id: uuid.UUID,
    reason: str | None,
) -> None:
    actor_id = context.actor_id
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        question = await posts.get(conn, thread_id, lock=True)
        ctx = await views.load_thread(conn, thread_id, actor_id, lock=True, for_change=True)
        await bury(uow, ctx, question, reason=reason)
        await threads.mark_deleted(conn, thread_id, uow.now)
