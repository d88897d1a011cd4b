"""Reading emails the app sent, from the outbox folder (the transport tests use by default)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any


def outbox_emails(data_dir: Path) -> list[dict[str, Any]]:
    """Every email written so far, oldest first (by enqueue order)."""
    folder = data_dir / "outbox"
    if not folder.is_dir():
        return []
    found = [json.loads(p.read_text()) for p in folder.glob("*.json")]
    return sorted(found, key=lambda e: e["seq"])


async def read_emails(
    data_dir: Path,
    *,
    to: str | None = None,
    template: str | None = None,
    timeout: float = 5.0,  # noqa: ASYNC109 (the shared helper's agreed signature)
    count: int = 1,
) -> list[dict[str, Any]]:
    """Wait until at least `count` matching emails were sent; return all matching, oldest first.

    Each is `{id, seq, to, subject, text, html, template, params, created_at}`.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        matching = [
            e
            for e in outbox_emails(data_dir)
            if (to is None or e["to"] == to) and (template is None or e["template"] == template)
        ]
        if len(matching) >= count:
            return matching
        if loop.time() >= deadline:
            raise AssertionError(
                f"expected {count} email(s) to={to!r} template={template!r} within {timeout}s, "
                f"found {len(matching)}"
            )
        await asyncio.sleep(0.02)
