"""Queries on long id lists (server/stores/mongo_in.py) ask in short `$in` lists and still
find everything, in every chunk."""

from __future__ import annotations

import uuid

import pytest
from pymongo import AsyncMongoClient

from server.domain.notification_preferences import NotificationPreferences
from server.stores import notification_preferences
from server.stores.mongo_in import IN_CHUNK, chunks, find_in


@pytest.fixture
async def db(mongo_url: str, mongo_database: str):
    client: AsyncMongoClient = AsyncMongoClient(mongo_url, tz_aware=True)
    yield client[mongo_database]
    await client.close()


def test_chunks_cover_the_list_in_order_without_overlap():
    ids = list(range(2 * IN_CHUNK + 3))
    parts = chunks(ids)
    assert [len(p) for p in parts] == [IN_CHUNK, IN_CHUNK, 3]
    assert [i for p in parts for i in p] == ids
    assert chunks([]) == []


async def test_find_in_reaches_every_chunk_and_keeps_the_filter(db):
    ids = [f"d{i:04d}" for i in range(3 * IN_CHUNK + 7)]
    await db.docs.insert_many([{"_id": i, "odd": n % 2 == 1} for n, i in enumerate(ids)])
    await db.docs.insert_one({"_id": "not asked", "odd": True})
    asked = [*ids[1::3], "missing"]
    found = [d["_id"] async for d in find_in(db.docs, "_id", asked, {"odd": True}, {"_id": 1})]
    assert sorted(found) == sorted(i for i in asked if i != "missing" and int(i[1:]) % 2 == 1)
    assert len(found) > IN_CHUNK // 2  # from more than one chunk


@pytest.mark.parametrize(
    "others", [10, 3 * IN_CHUNK], ids=["fewer stored: read all", "more stored: by id"]
)
async def test_preferences_of_many_users_come_from_every_chunk(db, others):
    users = [uuid.uuid4() for _ in range(2 * IN_CHUNK + 50)]
    english = users[::7]  # some in each chunk
    stored = NotificationPreferences.model_validate({"locale": "en"}).model_dump(mode="json")
    strangers = [{"_id": str(uuid.uuid4()), **stored} for _ in range(others)]  # not asked for
    await db.notification_preferences.insert_many(
        [{"_id": str(u), **stored} for u in english] + strangers
    )
    prefs = await notification_preferences.load_many(db, users)
    assert list(prefs) == users
    assert {u for u, p in prefs.items() if p.locale == "en"} == set(english)
