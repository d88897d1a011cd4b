"""Whole-or-nothing file writes for the local stand-ins (email and push outboxes, file storage)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_atomically(path: Path, *chunks: bytes) -> None:
    """Write `chunks` to `path` so readers see the old file or the new one, never a part.

    The temporary file is a dot-name ending in `.tmp` in the same folder (so the rename stays
    on one file system and `*.json` globs never match it); it is synced before the rename.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
