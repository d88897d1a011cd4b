"""What goes out for a set of released deliveries: one email version or one push per single
delivery, digest or summary (the grouping rules are server/domain/delivery_plan.py; the texts
server/domain/notification_emails.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from server.domain import notification_emails as texts
from server.domain.delivery_plan import group_released
from server.jobs.delivery_senders import PushUnit


def grouped(ready: list[dict[str, Any]], channel: str) -> list[tuple[str, list[dict]]]:
    """(kind, deliveries) per message: digest and summary groups, else one each."""
    by_key: dict[tuple[str, str | None], list[dict]] = defaultdict(list)
    for d in ready:
        if d["channel"] == channel:
            by_key[(d["user_id"], d.get("hold"))].append(d)
    out: list[tuple[str, list[dict]]] = []
    for (_, hold), docs in by_key.items():
        docs.sort(key=lambda d: (d["created_at"], d["_id"]))
        by_id = {d["_id"]: d for d in docs}
        for group in group_released(hold, [d["_id"] for d in docs]):
            out.append((group.kind, [by_id[i] for i in group.ids]))
    return out


def push_units(ready: list[dict[str, Any]]) -> list[PushUnit]:
    units = []
    for kind, docs in grouped(ready, "push"):
        first = docs[0]
        if kind == "single":
            title, body = first["title"], first["body"]
            data = {k: str(v) for k, v in (first.get("data") or {}).items()}
            data |= {"type": first["type"], "notification_id": first["notification_id"]}
        else:
            title, body = texts.push_summary(first["locale"], len(docs))
            data = {"type": "notification.summary", "count": str(len(docs))}
        units.append(
            PushUnit(
                user_id=uuid.UUID(first["user_id"]),
                ids=tuple(d["_id"] for d in docs),
                title=title,
                body=body,
                data={**data, "delivery_id": first["_id"]},
                attempts=max(d.get("attempts", 0) for d in docs),
                done=set(first.get("done_tokens") or ()),
            )
        )
    return units


def email_version(kind: str, docs: list[dict[str, Any]], titles: dict[str, str]) -> dict[str, Any]:
    first = docs[0]
    items = [texts.Item(d["title"], d["body"], _course_name(d, titles)) for d in docs]
    if kind == "single":
        rendered = texts.single(first["locale"], items[0])
    elif kind == "digest":
        rendered = texts.digest(first["locale"], items)
    else:
        rendered = texts.summary(first["locale"], items)
    return {
        "ids": [d["_id"] for d in docs],
        "to": first["email"],
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "tag": first["type"] if kind == "single" else f"notification.{kind}",
        "solo": bool(first.get("solo")),
    }


def _course_name(doc: dict[str, Any], titles: dict[str, str]) -> str | None:
    return titles.get(doc.get("course_id") or "") or (doc.get("extra") or {}).get("course_title")
