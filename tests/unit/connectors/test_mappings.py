"""The pure mappings of the built-in connectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.kjernejournal import OutboxRow, map_row
from connectors.sdk import BadRecordError, Position, Record, headers
from connectors.sinks._common import classify_status
from connectors.sinks.epj_delivery import DeliveryConfig, plan, write_atomically
from connectors.sinks.message_store import MessageStoreConfig, MessageStoreSink, to_row
from connectors.sinks.webhook import Destination, WebhookConfig, WebhookSink, wants
from tests.unit.connectors.messages import dialog


def test_outbox_row_is_keyed_by_the_pseudonymous_patient_key() -> None:
    record = map_row(OutboxRow(42, "e-1", "CRITICAL_INFO", "pk-abc", b"{}"))
    assert record.key == b"pk-abc" and record.message_id == "e-1"
    assert record.position == Position("outbox", "42")
    assert record.header(headers.PATIENT_KEY) == "pk-abc"


def delivery(her_id: str | None = "123", message_id: str | None = "m-1") -> Record:
    hs: headers.Headers = ()
    if message_id:
        hs = headers.with_header(hs, headers.MESSAGE_ID, message_id)
    return Record(
        b"<x/>",
        key=her_id.encode() if her_id else None,
        headers=hs,
        position=Position("samflyt.delivery.municipal:1", "9"),
    )


def test_delivery_goes_to_the_recipient_outbox_or_endpoint(tmp_path: Path) -> None:
    cfg = DeliveryConfig(
        topics=["d"], outbox_root=tmp_path, recipients={"777": {"url": "https://epj.example/in"}}
    )
    assert plan(delivery("123"), cfg).directory == tmp_path / "123"
    assert plan(delivery("777"), cfg).url == "https://epj.example/in"
    assert plan(delivery("123", "../../etc/passwd"), cfg).file_name.endswith(".xml")
    assert "/" not in plan(delivery("123", "../../etc/passwd"), cfg).file_name
    with pytest.raises(BadRecordError):
        plan(delivery(None), cfg)
    with pytest.raises(BadRecordError):
        plan(delivery("123", None), cfg)
    with pytest.raises(BadRecordError):
        plan(delivery("x/.."), cfg)


def test_atomic_write_leaves_no_temp_file_and_is_idempotent(tmp_path: Path) -> None:
    write_atomically(tmp_path / "123", "m.xml", b"one")
    write_atomically(tmp_path / "123", "m.xml", b"two")
    assert [p.name for p in (tmp_path / "123").iterdir()] == ["m.xml"]
    assert (tmp_path / "123" / "m.xml").read_bytes() == b"one"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, None),
        (202, None),
        (409, None),
        (503, True),
        (429, True),
        (400, False),
        (404, False),
    ],
)
def test_http_status_classification(status: int, outcome: bool | None) -> None:
    error = classify_status(status)
    assert (error.retriable if error else None) is outcome


def test_destinations_take_their_topics_and_types() -> None:
    record = delivery().with_header(headers.MESSAGE_TYPE, "SVAR_LAB")
    assert wants(Destination(name="a", url="http://x"), record)
    assert wants(
        Destination(name="a", url="http://x", topics=["samflyt.delivery.municipal"]), record
    )
    assert not wants(Destination(name="a", url="http://x", topics=["other"]), record)
    assert not wants(Destination(name="a", url="http://x", message_types=["DIALOG_*"]), record)


def test_a_lane_delivers_only_what_its_destination_takes_and_the_archive_nothing() -> None:
    record = delivery().with_header(headers.MESSAGE_TYPE, "SVAR_LAB")
    sink = WebhookSink(
        WebhookConfig(
            topics=["samflyt.delivery.municipal"],
            destinations=[
                Destination(name="labs", url="http://x", message_types=["SVAR_*"]),
                Destination(name="dialogue", url="http://y", message_types=["DIALOG_*"]),
            ],
        )
    )
    assert sink.delivers(record, "labs") and not sink.delivers(record, "dialogue")
    store = MessageStoreSink(
        MessageStoreConfig(topics=["t"], database_url="postgresql://x/y")  # type: ignore[arg-type]
    )
    assert not store.delivers(record)


def test_message_store_row_from_headers_never_holds_the_national_id() -> None:
    cfg = MessageStoreConfig(topics=["t"], database_url="postgresql://x/y")
    record = (
        delivery()
        .with_header(headers.PATIENT_KEY, "pk")
        .with_header(headers.CONVERSATION_ID, "c-1")
    )
    row = to_row(record, cfg, secret=None)
    assert (row.kind, row.message_id, row.conversation_id, row.patient_key) == (
        "delivery",
        "m-1",
        "c-1",
        "pk",
    )
    assert (row.topic, row.partition, row.offset) == ("samflyt.delivery.municipal", 1, 9)


def test_message_store_row_from_raw_xml_computes_the_patient_key() -> None:
    cfg = MessageStoreConfig(topics=["t"], database_url="postgresql://x/y")
    record = Record(dialog("x-1"), position=Position("samflyt.raw.epj:0", "3"))
    row = to_row(record, cfg, secret="a-test-secret-that-is-long-enough-32b")
    assert row.kind == "event" and row.message_id == "x-1"
    assert row.patient_key and len(row.patient_key) == 64
    assert "13116900216" not in (row.patient_key + row.headers)
