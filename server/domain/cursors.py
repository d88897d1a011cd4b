"""Opaque pagination cursors: the keyset of the last item, base64url-encoded JSON.

Clients treat them as opaque strings; a tampered or foreign cursor is a 422, not a 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from server.domain.errors import InvalidInput


def encode_cursor(*keys: Any) -> str:
    raw = json.dumps([str(k) if not isinstance(k, int) else k for k in keys], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        keys = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        keys = None
    if not isinstance(keys, list) or len(keys) != size:
        raise InvalidInput(
            "The cursor is not valid; start again without it.", code="invalid_cursor"
        )
    return keys
