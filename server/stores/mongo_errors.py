"""What a bulk write refused, read from pymongo's `BulkWriteError`."""

from __future__ import annotations

from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000  # MongoDB's code for a unique index refusing a write


def refused_codes(error: BulkWriteError) -> set[int]:
    """The error code of every write the bulk refused."""
    return {e.get("code") for e in error.details.get("writeErrors", [])}


def only_duplicates(error: BulkWriteError) -> bool:
    """Every refusal was a unique index's (an idempotent insert run again)."""
    return refused_codes(error) <= {DUPLICATE_KEY}
