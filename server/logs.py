"""Logging set-up: JSON lines when not on a terminal (collectors parse them), text otherwise."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from server.settings import LogLevel

_LEVELS = {
    LogLevel.error: logging.ERROR,
    LogLevel.warn: logging.WARNING,
    LogLevel.info: logging.INFO,
    LogLevel.debug: logging.DEBUG,
}
# Attributes every LogRecord has; anything else came in through `extra=` and is ours to print.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        return f"{base} {extra}" if extra else base


def configure_logging(level: LogLevel, *, json_lines: bool | None = None) -> None:
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_LEVELS[level])
    # pgserver narrates every pg_ctl call at info; its warnings and errors still come through.
    logging.getLogger("pgserver").setLevel(max(logging.WARNING, _LEVELS[level]))
