"""Queries on a list of ids, asked in short `$in` lists.

A simple server (SecantusDB, in development and tests) re-checks `$in` against every candidate
it fetched, so one list of n ids costs n^2 comparisons: preferences for 10,000 recipients took
7.9 s in one query and 0.3 s in lists of 100 (bench/notification_inbox.py). A real MongoDB pays
a few more round trips at most.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

IN_CHUNK = 100


def chunks(ids: Sequence[Any], size: int = IN_CHUNK) -> list[list[Any]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


async def find_in(
    collection: AsyncCollection,
    field: str,
    ids: Sequence[Any],
    where: dict[str, Any] | None = None,
    projection: dict[str, Any] | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """The documents whose `field` is one of `ids` (and that match `where`)."""
    for part in chunks(ids):
        async for doc in collection.find({field: {"$in": part}, **(where or {})}, projection):
            yield doc
