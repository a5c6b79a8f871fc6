"""Sinks read the pipeline's Avro deliveries and canonical events, and hand over the original."""

from __future__ import annotations

from pathlib import Path

from connectors.sdk import Position, Record
from connectors.sinks._delivery import unpack
from connectors.sinks.epj_delivery import DeliveryConfig, plan
from connectors.sinks.message_store import MessageStoreConfig, to_row
from schemas import codec
from tests.unit.avro import samples


def avro_record(name: str, topic: str) -> tuple[Record, dict]:
    rec = samples.records()[name]
    return Record(codec.encode(name, rec), position=Position(f"{topic}:0", "5")), rec


def test_a_delivery_is_unpacked_to_the_event_inside_it() -> None:
    record, delivery = avro_record("Delivery", "samflyt.delivery.municipal")
    event = delivery["content"][1]
    u = unpack(record)
    assert u.message_id == event["message_id"]
    assert u.recipient_her_id == delivery["recipient_her_id"]
    assert u.delivery_id == str(delivery["delivery_id"])
    assert u.patient_key == event["patient"]["patient_key"]
    original = event["original"]["content"]
    if original is not None:
        assert u.body == original and u.content_type.endswith("xml")


def test_an_avro_delivery_goes_to_the_recipients_outbox_as_the_original(tmp_path: Path) -> None:
    record, delivery = avro_record("Delivery", "samflyt.delivery.municipal")
    target = plan(record, DeliveryConfig(topics=["t"], outbox_root=tmp_path))
    assert target.directory == tmp_path / delivery["recipient_her_id"]
    assert target.body == unpack(record).body


def test_a_canonical_event_is_stored_under_its_ids() -> None:
    record, event = avro_record("CanonicalEvent", "samflyt.canonical.events")
    cfg = MessageStoreConfig(topics=["t"], database_url="postgresql://x/y")
    row = to_row(record, cfg, secret=None)
    assert row.kind == "event" and row.message_id == event["message_id"]
    assert row.patient_key == event["patient"]["patient_key"]
    assert row.payload == record.value


def test_a_delivery_file_is_named_by_the_delivery_id_not_the_message_id(tmp_path: Path) -> None:
    # message ids are unique per sender only: another sender's message with the same id is
    # another delivery, and must not be taken as already made
    record, delivery = avro_record("Delivery", "samflyt.delivery.municipal")
    target = plan(record, DeliveryConfig(topics=["t"], outbox_root=tmp_path))
    assert target.file_name == f"{delivery['delivery_id']}.xml"
