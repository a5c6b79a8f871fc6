"""Records: what sources produce and sinks consume. Immutable; transforms return new ones."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from .exceptions import ConnectorError
from .headers import Headers, get_header, with_header

__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_RECORD_BYTES",
    "RECORD_MARGIN_BYTES",
    "Failure",
    "Position",
    "Record",
]


# The largest message samflyt takes in (health messages with attachments run to several MB), and
# the largest record it writes: a message plus what travels with it (a canonical event's fields,
# a delivery's envelope, a dead letter's detail). Producers, consumers and samflyt's topics
# (``max.message.bytes``) all allow a record of this size; Kafka's own default is 1 MB.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
RECORD_MARGIN_BYTES = 1024 * 1024
MAX_RECORD_BYTES = MAX_MESSAGE_BYTES + RECORD_MARGIN_BYTES


@dataclass(frozen=True, slots=True)
class Position:
    """Where a record came from, so a source can resume after it.

    ``stream`` names one ordered sequence inside the source (``"outbox"``, a file, a Kafka
    ``topic:partition``); ``offset`` is the source's own opaque marker within it. The runner
    stores the last committed offset per stream and hands them back at start.
    """

    stream: str
    offset: str


@dataclass(frozen=True, slots=True)
class Record:
    """One message.

    ``value`` is the payload bytes, exactly as received; ``key`` the Kafka key (never a national
    id); ``headers`` Kafka headers (``samflyt.*`` names, plus ``traceparent``); ``position`` where
    a source read it; ``message_id`` the id the runner deduplicates on, within the record's ``key``
    (``None`` or empty: no dedup);
    ``topic`` overrides the connector's configured topic; ``error`` marks a record the source
    already knows is bad: the runner dead-letters it instead of publishing it; ``timestamp``
    (UTC) is when a record a sink reads was written to Kafka (a source leaves it ``None``: the
    broker stamps what is published).
    """

    value: bytes
    key: bytes | None = None
    headers: Headers = ()
    position: Position | None = None
    message_id: str | None = None
    topic: str | None = None
    error: ConnectorError | None = None
    timestamp: datetime | None = None

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (UTF-8), or ``None``."""
        return get_header(self.headers, name)

    def with_header(self, name: str, value: str) -> Record:
        """A copy with header ``name`` set to ``value``."""
        return dataclasses.replace(self, headers=with_header(self.headers, name, value))

    def rejected(self, error: ConnectorError) -> Record:
        """A copy marked bad with ``error`` (it will go to the dead-letter topic)."""
        return dataclasses.replace(self, error=error)


@dataclass(frozen=True, slots=True)
class Failure:
    """A record a sink could not write, with why. ``error.retriable`` decides what happens next."""

    record: Record
    error: ConnectorError
