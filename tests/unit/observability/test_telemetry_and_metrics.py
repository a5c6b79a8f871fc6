"""Span redaction, header rules and bounded metric labels."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan

from streams import metrics, telemetry


def test_redaction_drops_keys_and_national_id_like_values_and_keeps_the_rest() -> None:
    span = ReadableSpan(
        name="x process",
        attributes={
            "messaging.kafka.message.key": "k" * 64,
            "messaging.destination.name": "samflyt.canonical.events",
            "messaging.kafka.message.offset": 7,
            "samflyt.message.type": "SVAR_LAB",
            "note": "patient 01015000232",
            "samflyt.patient_key": "abc",
        },
    )
    kept = dict(telemetry.redact(span).attributes or {})
    assert kept == {
        "messaging.destination.name": "samflyt.canonical.events",
        "messaging.kafka.message.offset": 7,
        "samflyt.message.type": "SVAR_LAB",
    }


def test_trace_ids_are_read_from_traceparent() -> None:
    value = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert telemetry.trace_id_of(value) == "0af7651916cd43dd8448eb211c80319c"
    assert telemetry.trace_id_of(value.encode()) == "0af7651916cd43dd8448eb211c80319c"
    assert telemetry.trace_id_of("garbage") is None
    assert (
        telemetry.first_traceparent([("a", b"1"), ("traceparent", b"t1"), ("traceparent", b"t2")])
        == "t1"
    )


def test_message_type_labels_are_bounded() -> None:
    assert metrics.msg_type_label("SVAR_LAB") == "SVAR_LAB"
    assert metrics.msg_type_label("<script>") == "OTHER"
    assert metrics.msg_type_label(None) == "UNKNOWN"
    for i in range(metrics.MAX_MSG_TYPES + 5):
        metrics.msg_type_label(f"T{i}")
    assert metrics.msg_type_label("BRAND_NEW_TYPE") == "OTHER"


def test_a_stage_counts_in_and_out_under_its_message_type() -> None:
    before = metrics.MESSAGES_OUT.labels("unit", "SVAR_LAB", "receipts")._value.get()
    with metrics.observe("unit"):
        metrics.mark("SVAR_LAB", "100", "200")
        metrics.count_out("receipts")
    assert metrics.MESSAGES_OUT.labels("unit", "SVAR_LAB", "receipts")._value.get() == before + 1
    assert metrics.current_hop() is None
