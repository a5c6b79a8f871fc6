"""Structured JSON-lines logging for every samflyt process (workers and connectors alike).

Lifecycle events at INFO; never payloads or national ids.
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            # UTC with milliseconds: lines of several workers and hosts sort into one order
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """JSON lines on stderr for every logger, as a ``logging.config`` dictionary.

    The Faust worker is handed it too (``faust.Worker(logging_config=...)``): it configures
    logging itself as it starts, and otherwise replaced the handler with its own coloured text
    lines (and multi-line tables), so everything after start-up was not JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": sys.stderr,
                "formatter": "json",
            }
        },
        "root": {"level": level.upper(), "handlers": ["default"]},
    }


def configure_logging(level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(level))
