"""Prometheus metrics of a worker: module-level metric objects, cheap to update.

Labels are bounded: ``stage`` (a handful), ``msg_type`` (message type codes; after
:data:`MAX_MSG_TYPES` distinct ones, or for anything not shaped like a code, ``OTHER`` — so hostile
input cannot grow the label set), ``topic`` (catalogue names,
without the deployment prefix), ``reason`` (dead-letter reasons, an enum) and ``status``.
Never a key, a HER-id or an identifier of a person.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry import trace
from prometheus_client import Counter, Gauge, Histogram

from streams.telemetry import annotate, record_error

__all__ = [
    "CONSUMER_LAG",
    "DEAD_LETTERS",
    "JOURNEY_LAG",
    "JOURNEY_ROWS",
    "MAX_MSG_TYPES",
    "MESSAGES_IN",
    "MESSAGES_OUT",
    "RECEIPTS",
    "SENDERS_NOT_PERMITTED",
    "STAGE_ERRORS",
    "STAGE_SECONDS",
    "Hop",
    "count_out",
    "count_sender_not_permitted",
    "mark",
    "msg_type_label",
    "observe",
]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

MESSAGES_IN = Counter(
    "samflyt_messages_in", "Events taken in by a pipeline stage", ["stage", "msg_type"]
)
MESSAGES_OUT = Counter(
    "samflyt_messages_out", "Records sent by a pipeline stage", ["stage", "msg_type", "topic"]
)
STAGE_SECONDS = Histogram(
    "samflyt_stage_seconds",
    "Time a stage spent on one event",
    ["stage"],
    buckets=_LATENCY_BUCKETS,
)
EVENT_AGE_SECONDS = Histogram(
    "samflyt_event_age_seconds",
    "Time from the record's timestamp (when the previous hop wrote it) to its processing",
    ["stage"],
    buckets=(*_LATENCY_BUCKETS, 30, 60, 300),
)
STAGE_ERRORS = Counter(
    "samflyt_stage_errors", "Unexpected errors per stage (the event is dead-lettered)", ["stage"]
)
DEAD_LETTERS = Counter("samflyt_dead_letters", "Dead letters by reason", ["stage", "reason"])
RECEIPTS = Counter("samflyt_receipts", "AppRecs by status", ["status"])
# a security alert's signal: a connector (or whoever holds its credentials) sent as someone it
# may not speak for; labelled by raw topic only, never by the claimed sender
SENDERS_NOT_PERMITTED = Counter(
    "samflyt_sender_not_permitted",
    "Records refused because their sender is not bound to the raw topic they came on",
    ["topic"],
)
JOURNEY_ROWS = Counter(
    "samflyt_journey_rows", "Journey rows written (or dropped as invalid)", ["outcome"]
)
# how far the transaction log is behind the pipeline: an SRE sees it catch up after an outage
JOURNEY_LAG = Gauge(
    "samflyt_journey_lag",
    "Records of the journey's source topics not yet written to the journey (unread, plus the"
    " batch being written)",
)
CONSUMER_LAG = Gauge(
    "samflyt_consumer_lag", "Records not yet read, per topic and partition", ["topic", "partition"]
)

MAX_MSG_TYPES = 100
_TYPE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
_seen_types: set[str] = set()


def msg_type_label(msg_type: str | None) -> str:
    if not msg_type:
        return "UNKNOWN"
    if msg_type in _seen_types:
        return msg_type
    if len(_seen_types) >= MAX_MSG_TYPES or not _TYPE_CODE.match(msg_type):
        return "OTHER"
    _seen_types.add(msg_type)
    return msg_type


@dataclass
class Hop:
    """The stage an agent is in while it handles one event; filled in as the event is read."""

    stage: str
    msg_type: str = "UNKNOWN"

    def typed(self, msg_type: str | None) -> None:
        self.msg_type = msg_type_label(msg_type)


_current: ContextVar[Hop | None] = ContextVar("samflyt_hop", default=None)


@contextlib.contextmanager
def observe(stage: str, record_timestamp: float | None = None) -> Iterator[Hop]:
    """Around one event of an agent: a ``samflyt.<stage>`` span (child of the consumer's
    ``process`` span), the in-counter, the latency histogram and the error counter."""
    hop = Hop(stage)
    token = _current.set(hop)
    started = time.perf_counter()
    tracer = trace.get_tracer("samflyt")
    try:
        # the SDK would record the exception's message and stack trace: input text, ids
        with tracer.start_as_current_span(
            f"samflyt.{stage}", record_exception=False, set_status_on_exception=False
        ) as span:
            span.set_attribute("samflyt.stage", stage)
            try:
                yield hop
            except Exception as error:
                STAGE_ERRORS.labels(stage).inc()
                record_error(span, error)
                raise
    finally:
        _current.reset(token)
        STAGE_SECONDS.labels(stage).observe(time.perf_counter() - started)
        MESSAGES_IN.labels(stage, hop.msg_type).inc()
        if record_timestamp:
            EVENT_AGE_SECONDS.labels(stage).observe(max(0.0, time.time() - record_timestamp))


def current_hop() -> Hop | None:
    return _current.get()


def count_out(topic: str) -> None:
    """Count one record sent to catalogue topic ``topic`` by the current stage."""
    hop = _current.get()
    if hop is None:
        MESSAGES_OUT.labels("other", "UNKNOWN", topic).inc()
    else:
        MESSAGES_OUT.labels(hop.stage, hop.msg_type, topic).inc()


def count_sender_not_permitted(topic: str) -> None:
    """Count one record refused on raw catalogue topic ``topic`` (the agent subscribes to a
    bounded set of raw topics, so the label set stays bounded)."""
    SENDERS_NOT_PERMITTED.labels(topic).inc()


def mark(msg_type: str | None, sender: str | None = None, receiver: str | None = None) -> None:
    """Name the current event's type (metric label) and parties (span attributes)."""
    hop = _current.get()
    if hop is not None:
        hop.typed(msg_type)
    annotate(msg_type=msg_type, sender=sender, receiver=receiver)
