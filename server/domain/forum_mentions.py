"""`@name` mentions of course members in a post. Pure.

Names have spaces ("@Ana María López"), so a mention is the longest member name that follows
an `@` (not one inside an address like a@b.com) and ends at a word boundary; case and accents
are ignored, so "@ana maria" finds "Ana María" too. Several members with that same name are all
mentioned: the text cannot tell them apart.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping

MAX_MENTIONS = 20  # a post cannot be used to notify a whole course
_AT = re.compile(r"(?<![\w@])@")


def fold(text: str) -> str:
    """Lower case, without accents, every run of white space one space."""
    bare = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in bare if not unicodedata.combining(c)).split())


def mentioned(body: str, members: Mapping[uuid.UUID, str]) -> set[uuid.UUID]:
    """The members `body` mentions (at most MAX_MENTIONS)."""
    if "@" not in body:
        return set()
    by_name: dict[str, list[uuid.UUID]] = {}
    for user_id, name in members.items():
        if key := fold(name):
            by_name.setdefault(key, []).append(user_id)
    names = sorted(by_name, key=len, reverse=True)
    text = fold(body)
    found: set[uuid.UUID] = set()
    for match in _AT.finditer(text):
        after = text[match.end() : match.end() + 200]
        for name in names:
            end = len(name)
            if after.startswith(name) and (end == len(after) or not after[end].isalnum()):
                found.update(by_name[name])
                break
        if len(found) >= MAX_MENTIONS:
            break
    return set(sorted(found)[:MAX_MENTIONS])


def newly_mentioned(
    before: str | None, after: str, members: Mapping[uuid.UUID, str]
) -> set[uuid.UUID]:
    """Who an edit mentions for the first time (an edit does not notify anyone twice)."""
    earlier = mentioned(before, members) if before is not None else set()
    return mentioned(after, members) - earlier
