"""Tracing: one OpenTelemetry trace per message, from the libraries first.

* faust-streaming's :func:`faust.contrib.opentelemetry.setup_opentelemetry` opens a
  ``{topic} process`` span per event, parented by the record's ``traceparent`` header;
* ``opentelemetry-instrumentation-aiokafka`` opens a ``{topic} send`` span per produced record and
  injects *its* context into the headers, so every hop is a child of the previous one.

This module adds only what they leave out: the SDK set-up from the standard ``OTEL_*``
environment, a redacting span processor (message keys can be a pseudonymous patient key, so no
span leaves the process with a key attribute or anything that looks like a national id), a stage
span per agent hop with samflyt's attributes, and the header rule for agents: when the aiokafka
instrumentation injects, agents must not forward the incoming ``traceparent`` as well.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

from connectors.sdk.headers import TRACEPARENT

__all__ = [
    "SAFE_ATTRIBUTES",
    "RedactingSpanProcessor",
    "add_exporter",
    "annotate",
    "forward_headers",
    "instrumented",
    "setup_tracing",
    "trace_headers",
    "trace_id_of",
]

log = logging.getLogger(__name__)
TRACER_NAME = "samflyt"
# Attributes that can carry a key (a patient key, a national id) or content are never exported.
_DROPPED = re.compile(r"(^|\.)key$|payload|national_id|patient|person")
_NATIONAL_ID = re.compile(r"(?<!\d)\d{11}(?!\d)")
SAFE_ATTRIBUTES = ("samflyt.message.type", "samflyt.sender.her_id", "samflyt.receiver.her_id")
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")

_state: dict[str, Any] = {"provider": None, "instrumented": False, "exporters": []}


class RedactingSpanProcessor(SpanProcessor):
    """Hands each finished span to ``inner`` without key attributes or national-id-like values."""

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


def redact(span: ReadableSpan) -> ReadableSpan:
    attributes = dict(span.attributes or {})
    kept = {
        k: v
        for k, v in attributes.items()
        if not _DROPPED.search(k) and not (isinstance(v, str) and _NATIONAL_ID.search(v))
    }
    if len(kept) == len(attributes):
        return span
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=kept,
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


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
