"""What the journey recorder makes of a batch read from the pipeline's topics: rows from each
topic, the dead-letter rows, trace and attempt from the headers, undecodable records skipped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY

from connectors._confirmation import confirmation
from connectors._deadletter import dead_letter
from connectors.sdk import BadRecordError
from connectors.sdk.headers import MESSAGE_ID, RECIPIENT_HER_ID
from connectors.sdk.records import Position, Record
from schemas.catalogue import CANONICAL_EVENT
from schemas.codec import default_codec
from schemas.xml import parse_message
from streams.journey.collect import collect
from streams.journey.provenance import ATTEMPT
from streams.journey.rows import rows_for
from tests.unit.avro.samples import DOMAIN_MESSAGES, canonical_event, records
from tests.unit.connectors.messages import dialog
from tests.unit.routing.test_citizen_decisions import lab_result_routed

CODEC = default_codec()
CANONICAL = "test.x.canonical.events"
WRITTEN = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OTHER_TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _read(
    topic: str, name: str, value: dict[str, Any] | bytes, offset: int = 0, **kw: Any
) -> Record:
    data = value if isinstance(value, bytes) else CODEC.encode(name, value)
    return Record(data, position=Position(f"{topic}:0", str(offset)), timestamp=WRITTEN, **kw)


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_batch_from_every_topic_gives_the_rows_of_each_record_and_the_dead_letters() -> None:
    samples = records()
    event = canonical_event(DOMAIN_MESSAGES[0][1])
    batch = [
        _read(CANONICAL, CANONICAL_EVENT, event),
        _read("test.x.decisions", "Decision", samples["Decision"]),
        _read("test.x.deadletter", "DeadLetter", samples["DeadLetter"]),
        _read("test.x.receipts", "Receipt", samples["Receipt"]),
        _read("test.x.overdue", "Overdue", samples["Overdue"]),
    ]
    dead_before = _metric("samflyt_dead_letters_total", stage="VALIDATE", reason="MALFORMED")
    rows, dead = collect(CODEC, CANONICAL, batch)
    expected = [
        row
        for name, value in [
            (CANONICAL_EVENT, event),
            *((n, samples[n]) for n in ("Decision", "DeadLetter", "Receipt", "Overdue")),
        ]
        for row in rows_for(
            name,
            CODEC.decode_as(name, CODEC.encode(name, value)),
            trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
            written_at=WRITTEN,
        )
    ]
    assert rows == expected
    assert {r.step for r in rows} >= {"received", "validated", "refused", "deadlettered", "overdue"}
    (letter,) = dead
    assert letter[0] == samples["DeadLetter"]["dead_letter_id"]
    assert letter[10:13] == ("raw.epj", 3, 1234567)  # origin topic, partition, offset
    assert letter[15] == b"<MsgHead><MsgInfo>"
    after = _metric("samflyt_dead_letters_total", stage="VALIDATE", reason="MALFORMED")
    assert after == dead_before + 1


def test_the_trace_and_attempt_headers_win_over_the_record() -> None:
    event = canonical_event(DOMAIN_MESSAGES[0][1])
    headers = (("traceparent", OTHER_TRACE.encode()), (ATTEMPT, b"2"))
    rows, dead = collect(
        CODEC, CANONICAL, [_read(CANONICAL, CANONICAL_EVENT, event, headers=headers)]
    )
    assert not dead and rows
    assert {r.trace_id for r in rows} == {"0af7651916cd43dd8448eb211c80319c"}
    assert {r.attempt for r in rows if r.message_id == event["message_id"]} == {2}


def test_an_undecodable_record_is_counted_and_skipped() -> None:
    before = _metric("samflyt_journey_rows_total", outcome="undecodable")
    good = canonical_event(DOMAIN_MESSAGES[0][1])
    batch = [
        _read("test.x.decisions", "", b"\x00not avro", offset=1),
        _read(CANONICAL, CANONICAL_EVENT, good, offset=2),
    ]
    rows, dead = collect(CODEC, CANONICAL, batch)
    assert {r.message_id for r in rows} == {good["message_id"]} and not dead
    assert _metric("samflyt_journey_rows_total", outcome="undecodable") == before + 1


def _connector_letter(record: Record, error: Exception, stage: str, offset: int) -> Record:
    letter = dead_letter(
        record, error, topic="test.x.deadletter", connector="epj-filedrop", stage=stage,
        target_topic="test.x.raw.epj",
    )  # fmt: skip
    return Record(
        letter.value,
        key=letter.key,
        headers=letter.headers,
        position=Position("test.x.deadletter:0", str(offset)),
        timestamp=WRITTEN,
    )


def test_a_connectors_dead_letters_are_filed_where_the_dlq_tools_find_them() -> None:
    rejected = Record(b"<MsgHead", key=b"56704", headers=((MESSAGE_ID, b"M-1"),))
    delivery = Record(
        b"avro delivery bytes",
        key=b"8143541",
        headers=((MESSAGE_ID, b"m-2"),),
        position=Position("test.x.delivery.gp:3", "42"),
    )
    batch = [
        _connector_letter(rejected, BadRecordError("not well-formed", code="T01"), "source", 7),
        _connector_letter(delivery, BadRecordError("endpoint refused", code="http-400"), "sink", 8),
    ]
    rows, dead = collect(CODEC, CANONICAL, batch)
    (source, sink) = dead
    # (id, failed_at, stage, reason, code, detail, message_id, journey_id, type, sender,
    #  origin topic, partition, offset, key, headers, original, trace_id)
    assert source[2:5] == ("INGEST", "MALFORMED", "T01") and source[6:8] == ("m-1", "m-1")
    assert source[10] == "test.x.raw.epj" and source[15] == b"<MsgHead"  # replayed there
    assert sink[2:5] == ("DELIVER", "DELIVERY_FAILED", "http-400")  # the connector's code
    assert sink[10:13] == ("test.x.delivery.gp", 3, 42) and sink[15] == b"avro delivery bytes"
    assert {r.step for r in rows} == {"deadlettered"}
    assert collect(CODEC, CANONICAL, batch)[1][0][0] == source[0]  # read again: the same id


def test_a_connectors_own_error_code_is_kept_and_its_receiver_is_on_the_journey() -> None:
    """BadRecordError(code="bad-alarm") was listed as OTHER with no code, so no SRE could
    filter on it; the receiver named by the envelope or the connector's header was "?"."""
    alarm = Record(
        b'{"id": 1}', key=b"6501000",
        headers=((MESSAGE_ID, b"a-1"), (RECIPIENT_HER_ID, b"6501010")),
    )  # fmt: skip
    unknown = Record(dialog("d-1"), key=b"56704", headers=((MESSAGE_ID, b"d-1"),))
    batch = [
        _connector_letter(alarm, BadRecordError("not an alarm", code="bad-alarm"), "source", 1),
        _connector_letter(unknown, BadRecordError("no such unit", code="E21"), "source", 2),
    ]
    rows, dead = collect(CODEC, CANONICAL, batch)
    assert [d[3:5] for d in dead] == [("OTHER", "bad-alarm"), ("UNKNOWN_RECEIVER", "E21")]
    receivers = {r.message_id: r.recipient_her_id for r in rows}
    assert receivers == {"a-1": "6501010", "d-1": parse_message(dialog()).receiver.her_id}
    assert receivers["d-1"]


def test_a_sinks_confirmation_of_a_routed_delivery_is_its_delivered_step() -> None:
    outcome = lab_result_routed()
    portal = [d for d in outcome.deliveries if d.recipient_key]
    batch = []
    for offset, delivery in enumerate(portal):
        read = Record(  # the delivery as a sink read it, sent by the route agent with its ids
            b"avro delivery bytes",
            key=delivery.key.encode(),
            headers=(
                ("traceparent", OTHER_TRACE.encode()),
                (ATTEMPT, b"2"),
                *delivery.headers(outcome.facts),
            ),
            position=Position("test.x.delivery.citizen:0", str(offset)),
        )
        sent = confirmation(read, topic="test.x.deliveries.confirmed", connector="webhook",
                            lane="helsenorge")  # fmt: skip
        batch.append(
            Record(
                sent.value,
                key=sent.key,
                headers=sent.headers,
                position=Position("test.x.deliveries.confirmed:0", str(offset)),
                timestamp=WRITTEN,
            )
        )
    rows, dead = collect(CODEC, CANONICAL, batch)
    assert not dead
    assert [(r.step, r.stage, r.recipient_her_id, r.at, r.attempt) for r in rows] == [
        ("delivered", "sink", "902", WRITTEN, 2)
    ] * 2
    assert {r.recipient_key for r in rows} == {d.recipient_key for d in portal}
    assert {r.message_id for r in rows} == {outcome.facts.message_id}
    assert rows[0].trace_id == OTHER_TRACE.split("-")[1]
    assert rows[0].detail == {
        "connector": "webhook",
        "lane": "helsenorge",
        "delivery_id": str(portal[0].record["delivery_id"]),
    }


def test_a_message_refused_at_validation_is_received_to_the_receiver_its_envelope_names() -> None:
    """`samflyt trace` showed "to ?" for a dead letter whose detail names the receiver."""
    letter = {
        "dead_letter_id": "6f1c2d0e-0000-4000-8000-000000000001",
        "failed_at": WRITTEN,
        "stage": "VALIDATE",
        "reason": "UNKNOWN_RECEIVER",
        "reason_code": "E21",
        "detail": "receiver HER-id 99 is not known",
        "message_id": "d-2",
        "original": dialog("d-2"),
        "origin": {"topic": "test.x.raw.epj", "headers": []},
    }
    rows = rows_for("DeadLetter", letter, trace_id=None, written_at=WRITTEN)
    assert [(r.step, r.recipient_her_id) for r in rows] == [
        ("received", parse_message(dialog()).receiver.her_id),
        ("deadlettered", parse_message(dialog()).receiver.her_id),
    ]
