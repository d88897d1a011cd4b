"""The forum's part of the notifications pipeline: who hears of a new answer.

The notifications consumer resolves `Audience.THREAD_FOLLOWERS` with this query (wired in
`create_app`): the thread's followers who may still read it, not the answer's own author. The
event names the answer, never its author, so an anonymous answer stays anonymous here too.
"""

from __future__ import annotations

import uuid

import asyncpg

from server.domain.notification_rules import MalformedEvent
from server.services.consumers import ConsumedEvent
from server.stores import forum_follows as follows


async def thread_followers(conn: asyncpg.Connection, event: ConsumedEvent) -> list[uuid.UUID]:
    try:
        thread_id = uuid.UUID(str(event.data["thread_id"]))
        answer_id = uuid.UUID(str(event.data["answer_id"]))
    except (KeyError, ValueError):
        raise MalformedEvent("thread_id and answer_id must be uuids") from None
    return await follows.followers_to_notify(conn, thread_id, answer_id)
