"""Structured JSON-lines logging for every samflyt process (workers and connectors alike).

Lifecycle events at INFO; never payloads or national ids. While the broker is away the Kafka
client logs every failed reconnect and metadata refresh (~4,000 lines/s, 36-98 MB a minute in
issues 17 and 25): :class:`BrokerOutageFilter` holds those back and says instead, at most every
:data:`SAY_EVERY_S`, one line of its own: since when, and how many records are waiting.
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "BROKER_OUTAGE",
    "BrokerOutage",
    "BrokerOutageFilter",
    "JsonFormatter",
    "configure_logging",
    "count_waiting",
    "logging_config",
    "outage_detail",
]

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
SAY_EVERY_S = 30.0
# no connection failure for this long after the last one: the broker is back
QUIET_S = 5.0
# what the Kafka client (aiokafka) says, over and over, while it cannot reach a broker: the
# unformatted templates, so the check costs a prefix test per record
OUTAGE_TEMPLATES = (
    "Unable connect to",
    "Unable to update metadata",
    "Failed fetch messages from",
    "Failed fetch offsets from",
    "Group Coordinator Request failed",
    "FindCoordinator Request failed",
    "Heartbeat send request failed",
    "Heartbeat session expired",
)
_waiting: dict[str, Callable[[], int]] = {}


def count_waiting(name: str, count: Callable[[], int]) -> None:
    """Have the outage line count ``count()`` records as waiting (``name`` replaces an
    earlier counter of that name): what a component holds that the broker has not taken."""
    _waiting[name] = count


def records_waiting() -> int:
    total = 0
    for count in list(_waiting.values()):
        try:
            total += count()
        except Exception:  # a log line must never fail for want of a figure
            continue
    return total


def is_outage_line(record: logging.LogRecord) -> bool:
    """A Kafka client line that only says the broker cannot be reached (again)."""
    return (
        record.name.startswith("aiokafka")
        and isinstance(record.msg, str)
        and record.msg.startswith(OUTAGE_TEMPLATES)
    )


@dataclass
class BrokerOutage:
    """When the broker became unreachable, and when that was last said. Pure: callers pass
    the time (seconds since the epoch)."""

    every_s: float = SAY_EVERY_S
    quiet_s: float = QUIET_S
    since: float | None = None
    last_failure: float = 0.0
    last_said: float = 0.0
    held_back: int = 0

    def failure(self, now: float) -> int | None:
        """Note a connection failure. To be said now (the first of an outage, then at most
        every ``every_s``): how many were held back since the last said; else None."""
        if not self.unreachable(now):
            self.since, self.held_back = now, 0
        elif now - self.last_said < self.every_s:
            self.last_failure = now
            self.held_back += 1
            return None
        self.last_failure = self.last_said = now
        held_back, self.held_back = self.held_back, 0
        return held_back

    def unreachable(self, now: float) -> bool:
        return self.since is not None and now - self.last_failure <= self.quiet_s

    def describe(self, now: float, waiting: int) -> str:
        since = self.since if self.since is not None else now
        at = datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds")
        return f"broker unreachable since {at} ({now - since:.0f} s), {waiting} records waiting"


BROKER_OUTAGE = BrokerOutage()  # the process's: the filter writes it, health checks read it


def outage_detail(outage: BrokerOutage | None = None, now: float | None = None) -> str | None:
    """What a health check says while the broker is unreachable (None while it is not)."""
    outage = BROKER_OUTAGE if outage is None else outage
    now = time.time() if now is None else now
    return outage.describe(now, records_waiting()) if outage.unreachable(now) else None


class BrokerOutageFilter(logging.Filter):
    """On the log handler: a Kafka client's outage lines become one samflyt line every
    ``every_s`` (the others are dropped and counted); every other line passes unchanged."""

    def __init__(
        self,
        outage: BrokerOutage | None = None,
        clock: Callable[[], float] = time.time,
        waiting: Callable[[], int] = records_waiting,
    ) -> None:
        super().__init__()
        self.outage = BROKER_OUTAGE if outage is None else outage
        self.clock = clock
        self.waiting = waiting

    def filter(self, record: logging.LogRecord) -> bool:
        if not is_outage_line(record):
            return True
        now = self.clock()
        outage = self.outage
        held_back = outage.failure(now)
        if held_back is None:
            return False
        waiting = self.waiting()
        record.name, record.levelno, record.levelname = "samflyt.broker", logging.WARNING, "WARNING"
        record.msg, record.args, record.exc_info, record.exc_text = (
            outage.describe(now, waiting), None, None, None
        )
        record.records_waiting = waiting
        record.client_lines_held_back = held_back
        return True


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
    """JSON lines on stderr for every logger, the Kafka client's outage lines held back
    (:class:`BrokerOutageFilter`), as a ``logging.config`` dictionary.

    The Faust worker is handed it too (``faust.Worker(logging_config=...)``): it configures
    logging itself as it starts, and otherwise replaced the handler with its own coloured text
    lines (and multi-line tables), so everything after start-up was not JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"broker_outage": {"()": BrokerOutageFilter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": sys.stderr,
                "formatter": "json",
                "filters": ["broker_outage"],
            }
        },
        "root": {"level": level.upper(), "handlers": ["default"]},
    }


def configure_logging(level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(level))
