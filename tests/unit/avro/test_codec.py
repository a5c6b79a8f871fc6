from __future__ import annotations

import contextlib
import json
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.catalogue import (
    CANONICAL_EVENT,
    DECISION,
    Catalogue,
    SchemaVersion,
    avro_dir,
    default_catalogue,
)
from schemas.codec import (
    HEADER_SIZE,
    Codec,
    decode,
    decode_as,
    default_codec,
    encode,
    schema_id_of,
)
from schemas.errors import SamflytError
from schemas.exceptions import (
    CodecError,
    CorruptPayloadError,
    EncodeError,
    FramingError,
    UnexpectedSchemaError,
    UnknownSchemaError,
)
from tests.unit.avro.samples import DOMAIN_MESSAGES, canonical_event, records

RECORDS = records()


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_schema_round_trips_a_realistic_record(name: str) -> None:
    data = encode(name, RECORDS[name])
    full, record = decode(data)
    assert full.endswith("." + name)
    assert record == RECORDS[name]
    assert encode(full, record) == data  # decoded records encode again unchanged


@pytest.mark.parametrize(("label", "msg"), DOMAIN_MESSAGES, ids=[m[0] for m in DOMAIN_MESSAGES])
def test_every_payload_domain_round_trips(label: str, msg: Any) -> None:
    event = canonical_event(msg)
    assert decode_as("CanonicalEvent", encode(CANONICAL_EVENT, event)) == event


def test_frame_is_the_confluent_wire_format() -> None:
    data = encode("Decision", RECORDS["Decision"])
    entry = default_catalogue().latest("Decision")
    assert data[:HEADER_SIZE] == b"\x00" + struct.pack(">I", entry.schema_id)
    assert schema_id_of(data) == entry.schema_id


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00\x00\x01"])
def test_too_short_is_a_framing_error(data: bytes) -> None:
    with pytest.raises(FramingError, match="too short"):
        decode(data)


@pytest.mark.parametrize("magic", [1, 0x7B, 0xFF])
def test_wrong_magic_byte_is_a_framing_error(magic: int) -> None:
    data = bytes([magic]) + encode("Decision", RECORDS["Decision"])[1:]
    with pytest.raises(FramingError, match="magic byte"):
        decode(data)


def test_xml_or_json_bytes_are_framing_errors() -> None:
    for data in (b"<?xml version='1.0'?><MsgHead/>", b'{"a": 1}'):
        with pytest.raises(FramingError):
            decode(data)


def test_unknown_schema_id() -> None:
    body = encode("Decision", RECORDS["Decision"])[HEADER_SIZE:]
    with pytest.raises(UnknownSchemaError, match="unknown schema id 424242") as info:
        decode(b"\x00" + struct.pack(">I", 424242) + body)
    assert info.value.schema_id == 424242


def test_unknown_schema_name() -> None:
    with pytest.raises(UnknownSchemaError):
        encode("no.samflyt.NoSuchThing", {})


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_truncation_is_a_corrupt_payload(name: str) -> None:
    data = encode(name, RECORDS[name])
    for end in range(HEADER_SIZE, len(data)):
        with pytest.raises(CorruptPayloadError):
            decode(data[:end])


def test_trailing_bytes_are_corrupt() -> None:
    data = encode("Decision", RECORDS["Decision"])
    with pytest.raises(CorruptPayloadError, match="trailing"):
        decode(data + b"\x00")


def test_decode_as_rejects_another_schema() -> None:
    data = encode("Decision", RECORDS["Decision"])
    with pytest.raises(UnexpectedSchemaError, match=r"expected no\.samflyt\.event\.CanonicalEvent"):
        decode_as(CANONICAL_EVENT, data)
    assert decode_as("no.samflyt.routing.Decision", data) == RECORDS["Decision"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda r: r.pop("message_id"), "missing field"),
        (lambda r: r.update(msg_type=17), "wrong type"),
        (lambda r: r.update(unknown_field="x"), "unknown field"),
        (lambda r: r.update(action="X"), "not an enum symbol"),
        (lambda r: r.update(payload=("no.samflyt.Nope", {})), "not a union branch"),
    ],
)
def test_records_that_do_not_fit_are_encode_errors(change: Any, why: str) -> None:
    record = canonical_event()
    change(record)
    with pytest.raises(EncodeError):
        encode(CANONICAL_EVENT, record)


def test_codec_errors_are_samflyt_errors_and_not_retriable() -> None:
    for error in (FramingError, UnknownSchemaError, CorruptPayloadError, EncodeError):
        assert issubclass(error, CodecError)
        assert issubclass(error, SamflytError)
        assert error.retriable is False


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(position=st.integers(min_value=HEADER_SIZE), value=st.integers(0, 255), cut=st.booleans())
def test_corrupted_bodies_decode_or_raise_the_typed_error(
    position: int, value: int, cut: bool
) -> None:
    data = bytearray(encode(CANONICAL_EVENT, canonical_event(DOMAIN_MESSAGES[4][1])))
    data[position % len(data) or HEADER_SIZE] = value
    if cut:
        data = data[: position % len(data)]
    with contextlib.suppress(CodecError):
        decode(bytes(data))


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=300), schema_id=st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8]))
def test_random_bodies_decode_or_raise_the_typed_error(body: bytes, schema_id: int) -> None:
    with contextlib.suppress(CodecError):
        decode(b"\x00" + struct.pack(">I", schema_id) + body)


def test_schemas_are_parsed_once_per_id() -> None:
    codec = Codec(default_catalogue())
    codec.preload()
    for _ in range(3):
        codec.decode(codec.encode("Overdue", RECORDS["Overdue"]))
    assert codec._parsed.cache_info().misses == len(default_catalogue().entries())
    assert default_codec() is default_codec()


# --- reading an older writer version ------------------------------------------------------------

_DECISION_NOTE = {
    "name": "note",
    "type": ["null", "string"],
    "default": None,
    "doc": "A field added in v2.",
}


@pytest.fixture
def evolved(tmp_path: Path) -> Catalogue:
    """A copy of the shipped catalogue where Decision has a next version with one more field."""
    root = tmp_path / "avro"
    shutil.copytree(Path(str(avro_dir())), root)
    shipped = Catalogue.load(root)
    latest = shipped.latest(DECISION).version
    released = root / "released" / "Decision"
    following = json.loads((released / f"v{latest}.avsc").read_text())
    following["fields"].append(_DECISION_NOTE)
    (released / f"v{latest + 1}.avsc").write_text(json.dumps(following))
    entries = [*shipped.entries(), SchemaVersion(9001, DECISION, latest + 1)]
    return Catalogue(entries, root)


def test_old_writer_versions_resolve_into_the_latest(evolved: Catalogue) -> None:
    old_bytes = encode("Decision", RECORDS["Decision"])  # written with the shipped version
    codec = Codec(evolved)
    name, record = codec.decode(old_bytes)
    assert name == "no.samflyt.routing.Decision"
    assert record == {**RECORDS["Decision"], "note": None}
    new_bytes = codec.encode("Decision", {**RECORDS["Decision"], "note": "ok"})
    assert schema_id_of(new_bytes) == 9001
    assert codec.decode(new_bytes)[1]["note"] == "ok"


# --- wrapping already-encoded content (fan-out) -------------------------------------------------


@pytest.mark.parametrize("content", ["CanonicalEvent", "Receipt", "Overdue"])
def test_wrap_is_byte_identical_to_a_full_encode(content: str) -> None:
    full_name = default_catalogue().full_name(content)
    delivery = {**RECORDS["Delivery"], "content": (full_name, RECORDS[content])}
    fields = {k: v for k, v in delivery.items() if k != "content"}
    wrapped = default_codec().wrap("Delivery", fields, encode(content, RECORDS[content]))
    assert wrapped == encode("Delivery", delivery)
    assert decode(wrapped)[1] == delivery


def test_wrap_refuses_content_that_is_no_branch() -> None:
    fields = {k: v for k, v in RECORDS["Delivery"].items() if k != "content"}
    with pytest.raises(EncodeError, match="not a branch"):
        default_codec().wrap("Delivery", fields, encode("Decision", RECORDS["Decision"]))


def test_wrap_checks_the_other_fields() -> None:
    fields = {k: v for k, v in RECORDS["Delivery"].items() if k not in ("content", "care_level")}
    with pytest.raises(EncodeError):
        default_codec().wrap("Delivery", fields, encode("Overdue", RECORDS["Overdue"]))


@pytest.fixture
def event_v2(tmp_path: Path) -> Catalogue:
    """The next CanonicalEvent version with one more field, and the next Delivery embedding it."""
    root = tmp_path / "avro"
    shutil.copytree(Path(str(avro_dir())), root)
    released = root / "released"
    event_latest = Catalogue.load(root).latest(CANONICAL_EVENT).version
    event = json.loads((released / "CanonicalEvent" / f"v{event_latest}.avsc").read_text())
    event["fields"].append(_DECISION_NOTE)
    (released / "CanonicalEvent" / f"v{event_latest + 1}.avsc").write_text(json.dumps(event))
    latest = Catalogue.load(root).latest("Delivery").version
    delivery = json.loads((released / "Delivery" / f"v{latest}.avsc").read_text())
    delivery["fields"][-1]["type"][0]["fields"].append(_DECISION_NOTE)
    (released / "Delivery" / f"v{latest + 1}.avsc").write_text(json.dumps(delivery))
    extra = [
        SchemaVersion(9101, CANONICAL_EVENT, event_latest + 1),
        SchemaVersion(9102, "no.samflyt.delivery.Delivery", latest + 1),
    ]
    return Catalogue([*Catalogue.load(root).entries(), *extra], root)


def test_wrap_of_an_older_content_version_re_encodes(event_v2: Catalogue) -> None:
    codec = Codec(event_v2)
    fields = {k: v for k, v in RECORDS["Delivery"].items() if k != "content"}
    event = RECORDS["CanonicalEvent"]
    old = encode(CANONICAL_EVENT, event)  # the released version, written before the upgrade
    new = codec.encode(CANONICAL_EVENT, {**event, "note": "n"})
    for framed, note in ((old, None), (new, "n")):
        wrapped = codec.wrap("Delivery", fields, framed)
        assert schema_id_of(wrapped) == 9102
        record = codec.decode(wrapped)[1]
        assert record["content"] == (CANONICAL_EVENT, {**event, "note": note})


# --- reading only the envelope ------------------------------------------------------------------


def _without_payload(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "payload"}


@pytest.mark.parametrize(("label", "msg"), DOMAIN_MESSAGES, ids=[m[0] for m in DOMAIN_MESSAGES])
def test_the_head_of_an_event_is_the_event_without_its_payload(label: str, msg: Any) -> None:
    event = canonical_event(msg)
    head = default_codec().decode_head(CANONICAL_EVENT, encode(CANONICAL_EVENT, event), "payload")
    assert head == _without_payload(event)


def test_the_head_is_not_read_from_another_schema_or_from_broken_bytes() -> None:
    codec = default_codec()
    with pytest.raises(UnexpectedSchemaError):
        codec.decode_head("CanonicalEvent", encode(DECISION, RECORDS["Decision"]), "payload")
    data = encode(CANONICAL_EVENT, RECORDS["CanonicalEvent"])
    with pytest.raises(CorruptPayloadError):
        codec.decode_head("CanonicalEvent", data[:40], "payload")


def test_a_field_added_after_the_payload_still_reaches_the_head_reader(
    event_v2: Catalogue,
) -> None:
    codec = Codec(event_v2)
    event = RECORDS["CanonicalEvent"]
    old = encode(CANONICAL_EVENT, event)  # released version: resolved into the next, then cut
    new = codec.encode(CANONICAL_EVENT, {**event, "note": "n"})  # next: payload is not last
    head = _without_payload(event)
    assert codec.decode_head(CANONICAL_EVENT, old, "payload") == {**head, "note": None}
    assert codec.decode_head(CANONICAL_EVENT, new, "payload") == {**head, "note": "n"}
