"""REST and store helpers for the notifications tests."""

from __future__ import annotations

from typing import Any

from tests.course_helpers import API


async def inbox(client, user, **query: Any) -> dict[str, Any]:
    resp = await client.get(f"{API}/notifications", params=query, headers=user.headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def unread(client, user) -> int:
    resp = await client.get(f"{API}/notifications/unread-count", headers=user.headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["unread"]


async def deliveries(mongo, *, type: str | None = None, user=None) -> dict[tuple, dict]:
    """`{(user_id, channel): delivery}` from the delivery log."""
    query: dict[str, Any] = {}
    if type is not None:
        query["type"] = type
    if user is not None:
        query["user_id"] = str(user.id)
    found = [d async for d in mongo.notification_deliveries.find(query)]
    return {(d["user_id"], d["channel"]): d for d in found}


async def set_preferences(client, user, body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.put(
        f"{API}/users/me/notification-preferences", json=body, headers=user.headers
    )
    assert resp.status == 200, await resp.text()
    return await resp.json()
