"""No person leaves the process in a span: attributes on an allow-list, errors by type and code."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from schemas.errors import MessageError
from streams import metrics, telemetry

NATIONAL_ID = "14867049151"
NAME = "Trond Paulsen"


@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """A private provider whose spans go through the redacting processor to memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(telemetry.RedactingSpanProcessor(SimpleSpanProcessor(exporter)))
    monkeypatch.setattr(trace, "get_tracer", lambda *a, **k: provider.get_tracer("test"))
    return exporter


def _everything(span: ReadableSpan) -> str:
    return span.to_json()


def test_an_exception_in_a_traced_stage_leaves_neither_id_nor_name(
    exported: InMemorySpanExporter,
) -> None:
    with pytest.raises(MessageError), metrics.observe("unit-security"):
        raise MessageError(f"bad patient {NATIONAL_ID} {NAME}", code="E21")
    (span,) = exported.get_finished_spans()
    text = _everything(span)
    assert NATIONAL_ID not in text and "Trond" not in text and "Paulsen" not in text
    (event,) = span.events
    assert dict(event.attributes or {}) == {
        "exception.type": "MessageError",
        telemetry.ERROR_CODE: "E21",
    }


def test_a_library_span_recording_an_exception_is_reduced_to_its_type(
    exported: InMemorySpanExporter,
) -> None:
    tracer = trace.get_tracer("library")
    with pytest.raises(ValueError), tracer.start_as_current_span("raw.epj process"):
        raise ValueError(f"bad patient {NATIONAL_ID} {NAME}")
    (span,) = exported.get_finished_spans()
    text = _everything(span)
    assert NATIONAL_ID not in text and "Paulsen" not in text
    assert span.status.description == "ValueError"
    assert {k for e in span.events for k in (e.attributes or {})} <= {
        "exception.type",
        "exception.escaped",
    }


def test_sequences_spaced_ids_events_and_unknown_attributes_are_dropped(
    exported: InMemorySpanExporter,
) -> None:
    tracer = trace.get_tracer("library")
    with tracer.start_as_current_span("x send") as span:
        span.set_attribute("messaging.destination.name", ["02926241837"])
        span.set_attribute("messaging.client_id", "148670 49151")
        span.set_attribute("samflyt.receiver.her_id", "82002")
        span.set_attribute("messaging.kafka.message.offset", 7)
        span.set_attribute("note", "Trond Paulsen")
        span.add_event("looked up", {"samflyt.sender.her_id": "02926241837", "who": NAME})
    (finished,) = exported.get_finished_spans()
    assert dict(finished.attributes or {}) == {
        "samflyt.receiver.her_id": "82002",
        "messaging.kafka.message.offset": 7,
    }
    assert [dict(e.attributes or {}) for e in finished.events] == [{}]
    text = _everything(finished)
    assert "02926241837" not in text and "49151" not in text and "Trond" not in text
