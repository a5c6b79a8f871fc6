"""Tracing: one OpenTelemetry trace per message, from the libraries first.

* faust-streaming's :func:`faust.contrib.opentelemetry.setup_opentelemetry` opens a
  ``{topic} process`` span per event, parented by the record's ``traceparent`` header;
* ``opentelemetry-instrumentation-aiokafka`` opens a ``{topic} send`` span per produced record and
  injects *its* context into the headers, so every hop is a child of the previous one.

This module adds only what they leave out: the SDK set-up from the standard ``OTEL_*``
environment, a redacting span processor (an allow-list of attributes on spans, span events and
links, values and sequences checked for national ids, exceptions kept as type and code only: no
span leaves the process with a message key, a person or the text of an error), a stage
span per agent hop with samflyt's attributes, and the header rule for agents: when the aiokafka
instrumentation injects, agents must not forward the incoming ``traceparent`` as well.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Link, Status, StatusCode

from connectors.sdk.headers import TRACEPARENT
from schemas.redaction import contains_national_id

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "SAFE_ATTRIBUTES",
    "RedactingSpanProcessor",
    "add_exporter",
    "annotate",
    "forward_headers",
    "instrumented",
    "record_error",
    "redact",
    "setup_tracing",
    "trace_headers",
    "trace_id_of",
]

log = logging.getLogger(__name__)
TRACER_NAME = "samflyt"
SAFE_ATTRIBUTES = ("samflyt.message.type", "samflyt.sender.her_id", "samflyt.receiver.her_id")
ERROR_CODE = "samflyt.error.code"
# The only attributes a span, span event or link may leave the process with: what the libraries'
# messaging conventions set (never the message key: it can be a pseudonymous patient key), the
# stage and parties, and an exception's type and code. Anything else is dropped, so a library
# upgrade or a careless ``set_attribute`` cannot export a person.
ALLOWED_ATTRIBUTES = frozenset(
    {
        "messaging.system",
        "messaging.operation",
        "messaging.operation.name",
        "messaging.operation.type",
        "messaging.destination.name",
        "messaging.destination.partition.id",
        "messaging.kafka.destination.partition",
        "messaging.kafka.message.offset",
        "messaging.kafka.partition",
        "messaging.consumer.group.name",
        "messaging.kafka.consumer.group",
        "messaging.batch.message_count",
        "messaging.client_id",
        "messaging.client.id",
        "messaging.message.id",
        "server.address",
        "server.port",
        "samflyt.stage",
        *SAFE_ATTRIBUTES,
        "exception.type",
        "exception.escaped",
        ERROR_CODE,
    }
)
_TYPE_NAME = re.compile(r"^[A-Za-z_][\w.]*$")
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")

_state: dict[str, Any] = {"provider": None, "instrumented": False, "exporters": []}


class RedactingSpanProcessor(SpanProcessor):
    """Hands each finished span to ``inner`` reduced to allowed, id-free attributes."""

    def __init__(self, inner: SpanProcessor) -> None:
        self.inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.inner.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self.inner.on_end(redact(span))

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def allowed_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """The attributes on the allow-list whose values carry nothing shaped like a national id."""
    return {
        k: v
        for k, v in (attributes or {}).items()
        if k in ALLOWED_ATTRIBUTES and not contains_national_id(v)
    }


def _event(event: Event) -> Event:
    # an exception event keeps its type and code: its message and stack trace carry input text
    return Event(event.name, allowed_attributes(event.attributes), event.timestamp)


def _link(link: Link) -> Link:
    return Link(link.context, allowed_attributes(link.attributes))


def _status(status: Status) -> Status:
    """The status without its description unless it is a bare type name: the SDK writes
    ``"Type: message"`` there for an exception that leaves a span."""
    text = (status.description or "").split(":", 1)[0].strip()
    if status.status_code is not StatusCode.ERROR:
        return status
    return Status(StatusCode.ERROR, text if _TYPE_NAME.match(text) else None)


def redact(span: ReadableSpan) -> ReadableSpan:
    """A copy of ``span`` with allowed attributes only, on the span, its events and links."""
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=allowed_attributes(span.attributes),
        events=[_event(e) for e in span.events],
        links=[_link(link) for link in span.links],
        kind=span.kind,
        status=_status(span.status),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def record_error(span: trace.Span, error: BaseException) -> None:
    """Record an exception on ``span`` by type and AppRec error code only, never its text."""
    attributes: dict[str, str] = {"exception.type": type(error).__name__}
    code = getattr(error, "code", None)
    if isinstance(code, str) and _TYPE_NAME.match(code):
        attributes[ERROR_CODE] = code
    span.add_event("exception", attributes)
    span.set_status(Status(StatusCode.ERROR, type(error).__name__))


def _exporter_from_env() -> SpanExporter | None:
    """``OTEL_TRACES_EXPORTER``: ``otlp`` (when the exporter package is installed), ``console``,
    or ``none`` (the default: no spans are recorded; the trace id still travels in the headers)."""
    choice = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not choice and os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        choice = "otlp"
    if choice == "console":
        return ConsoleSpanExporter()
    if choice == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[import-not-found]
                OTLPSpanExporter,
            )
        except ImportError:
            log.warning("OTLP trace exporter configured but not installed; spans not exported")
            return None
        exporter: SpanExporter = OTLPSpanExporter()
        return exporter
    return None


def setup_tracing(service_name: str = "samflyt", *, record: bool = False) -> bool:
    """Install the SDK (once per process) and the aiokafka send instrumentation, when spans go
    somewhere: an exporter in the environment (``OTEL_TRACES_EXPORTER``, an OTLP endpoint) or
    one added with :func:`add_exporter` (``record=True``).

    Returns False otherwise, and when ``OTEL_SDK_DISABLED`` is true: then nothing is installed
    and agents forward the incoming ``traceparent`` unchanged (see :func:`trace_headers`), so
    every hop still carries the message's trace id into the journey at no cost. Recording
    spans nobody exports cost a fifth of a worker's CPU (issue 6).
    """
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if _state["provider"] is None:
        exporter = _exporter_from_env()
        if exporter is None and not record:
            return False
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):  # an application configured the SDK already
            provider = current
        else:
            resource = Resource.create({"service.name": service_name})
            provider = TracerProvider(resource=resource)
            trace.set_tracer_provider(provider)
        if exporter is not None:
            provider.add_span_processor(RedactingSpanProcessor(BatchSpanProcessor(exporter)))
        _state["provider"] = provider
    if not _state["instrumented"]:
        from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor

        instrumentor = AIOKafkaInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
        _state["instrumented"] = True
    return True


def add_exporter(exporter: SpanExporter) -> None:
    """Export finished spans synchronously to ``exporter`` too (tests, ad-hoc debugging)."""
    if any(e is exporter for e in _state["exporters"]):
        return
    setup_tracing(record=True)
    provider = _state["provider"]
    if provider is not None:
        provider.add_span_processor(RedactingSpanProcessor(SimpleSpanProcessor(exporter)))
        _state["exporters"].append(exporter)


def instrumented() -> bool:
    """True when the aiokafka instrumentation injects trace context on every send."""
    return bool(_state["instrumented"])


def annotate(
    *, msg_type: str | None = None, sender: str | None = None, receiver: str | None = None
) -> None:
    """Put samflyt's safe attributes on the current span (never a key, id of a person or text)."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    for name, value in zip(SAFE_ATTRIBUTES, (msg_type, sender, receiver), strict=True):
        if value:
            span.set_attribute(name, value)


def trace_headers(traceparent: str | None) -> list[tuple[str, bytes]]:
    """Headers an agent adds to what it sends: none when the instrumentation injects the current
    (child) context, else the incoming ``traceparent`` unchanged."""
    if instrumented() or not traceparent:
        return []
    return [(TRACEPARENT, traceparent.encode())]


def forward_headers(headers: Iterable[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Incoming headers to forward: without ``traceparent`` when the instrumentation injects."""
    if not instrumented():
        return list(headers)
    return [(k, v) for k, v in headers if k != TRACEPARENT]


def trace_id_of(traceparent: str | bytes | None) -> str | None:
    """The trace id of a W3C ``traceparent`` (None when absent or malformed)."""
    if isinstance(traceparent, bytes):
        traceparent = traceparent.decode("ascii", errors="replace")
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None


def first_traceparent(headers: Sequence[tuple[str, bytes]] | None) -> str | None:
    """The first ``traceparent`` header (the one every reader of samflyt's records follows)."""
    for key, value in headers or ():
        if key == TRACEPARENT:
            return value.decode("ascii", errors="replace")
    return None
