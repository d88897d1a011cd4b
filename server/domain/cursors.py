"""Opaque pagination cursors: the keyset of the last item, base64url-encoded JSON.

Clients treat them as opaque strings, so anything may come back: a tampered or foreign cursor
is a 422 `invalid_cursor`, never a 500. `decode_cursor` takes the type of each key and checks
everything before a value can reach a query: the size, the shape (a flat list of scalars), each
key's type, and its range (what Postgres or Python's datetime could not hold).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import StringConstraints

from server.domain.errors import InvalidInput
from server.domain.time_range import in_range_date, in_range_instant

# Our cursors are two short keys; anything much longer was not made by us.
MAX_CURSOR_CHARS = 512
MAX_TEXT_KEY = 400
BIGINT = (-(2**63), 2**63 - 1)

# What a query's `cursor` may be: what `encode_cursor` writes (base64url, no padding), at most
# MAX_CURSOR_CHARS. Anything else is a 422 on the field before it is decoded, and the document
# says so: the longest query the API accepts fits in one request line.
Cursor = Annotated[
    str,
    StringConstraints(max_length=MAX_CURSOR_CHARS, pattern=r"^[A-Za-z0-9_-]*={0,2}$"),
]

Key = type[datetime] | type[date] | type[uuid.UUID] | type[int] | type[str]


def invalid_cursor() -> InvalidInput:
    return InvalidInput("The cursor is not valid; start again without it.", code="invalid_cursor")


def encode_cursor(*keys: Any) -> str:
    raw = json.dumps([str(k) if not isinstance(k, int) else k for k in keys], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _key(value: Any, kind: Key) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("not a scalar key")
    if kind is int:
        if not isinstance(value, int) or not BIGINT[0] <= value <= BIGINT[1]:
            raise ValueError("not a bigint")
        return value
    if not isinstance(value, str) or len(value) > MAX_TEXT_KEY or "\x00" in value:
        raise ValueError("not a text key")
    if kind is str:
        return value
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is datetime:
        return in_range_instant(datetime.fromisoformat(value))
    if kind is date:
        return in_range_date(date.fromisoformat(value))
    raise TypeError(f"no cursor key of type {kind!r}")


def decode_cursor(cursor: str, *kinds: Key) -> tuple[Any, ...]:
    """The keys `cursor` names, one per type in `kinds` (datetime, date, uuid.UUID, int, str),
    each parsed and in range; raises `invalid_cursor` otherwise."""
    if not cursor or len(cursor) > MAX_CURSOR_CHARS:
        raise invalid_cursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        keys = json.loads(raw)
        if not isinstance(keys, list) or len(keys) != len(kinds):
            raise ValueError("wrong shape")
        return tuple(_key(value, kind) for value, kind in zip(keys, kinds, strict=True))
    except (ValueError, TypeError, RecursionError, binascii.Error, OverflowError):
        raise invalid_cursor() from None
