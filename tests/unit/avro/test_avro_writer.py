"""The compiled writer gives fastavro's bytes, and refuses what fastavro refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas._avro_writer import compile_writer
from schemas.canonical import to_canonical
from schemas.catalogue import CANONICAL_EVENT, default_catalogue
from schemas.errors import MessageError
from schemas.xml import parse_message
from tests.unit.avro.samples import DOMAIN_MESSAGES, RECEIVED, canonical_event, records

CATALOGUE = default_catalogue()
CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"
RECORDS = records()


def _fastavro(schema: dict[str, Any], record: Any) -> bytes:
    out = BytesIO()
    schemaless_writer(out, parse_schema(schema, {}), record, strict_allow_default=True)
    return out.getvalue()


def _schema(name: str) -> dict[str, Any]:
    return CATALOGUE.schema(CATALOGUE.latest(name))


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_schema_writes_fastavros_bytes(name: str) -> None:
    schema = _schema(name)
    assert compile_writer(schema)(RECORDS[name]) == _fastavro(schema, RECORDS[name])


@pytest.mark.parametrize(("label", "msg"), DOMAIN_MESSAGES, ids=[m[0] for m in DOMAIN_MESSAGES])
def test_every_payload_domain_writes_fastavros_bytes(label: str, msg: Any) -> None:
    schema = _schema(CANONICAL_EVENT)
    event = canonical_event(msg)
    assert compile_writer(schema)(event) == _fastavro(schema, event)


def test_every_corpus_message_writes_fastavros_bytes() -> None:
    schema = _schema(CANONICAL_EVENT)
    write = compile_writer(schema)
    written = 0
    for path in sorted(CORPUS.rglob("*.xml")):
        try:
            msg = parse_message(path.read_bytes())
        except MessageError:
            continue  # refused samples are the parser's tests
        event = to_canonical(msg, patient_key="k", received_at=RECEIVED)
        assert write(event) == _fastavro(schema, event), path.name
        written += 1
    assert written > 50


def test_missing_fields_with_defaults_are_written_as_their_defaults() -> None:
    schema = _schema(CANONICAL_EVENT)
    event = canonical_event()
    for optional in ("patient", "priority", "conversation_id", "attributes"):
        event.pop(optional)
    assert compile_writer(schema)(event) == _fastavro(schema, event)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda r: r.pop("message_id"), "missing field without default"),
        (lambda r: r.update(msg_type=17), "int for a string"),
        (lambda r: r.update(msg_type=None), "null for a string"),
        (lambda r: r.update(is_test="yes"), "string for a boolean is fine in both"),
        (lambda r: r.update(unknown_field="x"), "unknown field"),
        (lambda r: r.update(action="X"), "not an enum symbol"),
        (lambda r: r.update(payload=("no.samflyt.Nope", {})), "not a union branch"),
        (lambda r: r.update(sender=None), "null for a record"),
        (lambda r: r.update(copy_receivers=[{"name": 1}]), "bad array item"),
        (lambda r: r.update(attributes={"k": 1}), "bad map value"),
        (lambda r: r["original"].update(content="text"), "string for bytes"),
        (lambda r: r["original"].update(size=2**63), "long out of range"),
    ],
)
def test_refuses_exactly_what_fastavro_refuses(change: Any, why: str) -> None:
    schema = _schema(CANONICAL_EVENT)
    record = canonical_event()
    change(record)
    try:
        expected: bytes | None = _fastavro(schema, record)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
        expected = None
    if expected is None:
        with pytest.raises((TypeError, ValueError, KeyError)):
            compile_writer(schema)(record)
    else:
        assert compile_writer(schema)(record) == expected, why


def test_a_value_the_fast_path_refuses_is_named_by_the_checked_path() -> None:
    # a complete record is written by the fast path; what it refuses is handed, with the bytes
    # it wrote undone, to the checked path, which raises the error naming the field
    schema = _schema(CANONICAL_EVENT)
    write = compile_writer(schema, prefix=b"frame")
    record = canonical_event()
    record["sender"] = dict(record["sender"], name=17)
    with pytest.raises(TypeError, match="field name"):
        write(record)
    record = canonical_event()
    record["sender"] = {k: v for k, v in record["sender"].items() if k != "idents"}
    record["sender"]["extra"] = "x"  # as many keys as the schema has fields, one of them wrong
    with pytest.raises(ValueError, match="extra"):
        write(record)
    valid = canonical_event()
    assert write(valid) == b"frame" + _fastavro(schema, valid)


def _values(schema: Any, named: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of an Avro type (fastavro's Python conventions), with the edge cases of each."""
    if isinstance(schema, str):
        primitive = {
            "null": st.none(),
            "boolean": st.booleans(),
            "int": st.integers(-(2**31), 2**31 - 1),
            "long": st.integers(-(2**63), 2**63 - 1),
            "float": st.floats(width=32, allow_nan=False),
            "double": st.floats(allow_nan=False),
            "bytes": st.binary(max_size=80),
            "string": st.text(max_size=80),
        }.get(schema)
        return primitive if primitive is not None else _values(named[schema], named)
    if isinstance(schema, list):
        # a named branch also in fastavro's tuple notation, except in ["null", X]: there our
        # records never use it, and a plain value is the common case to cover
        options = []
        for branch in schema:
            name = branch if isinstance(branch, str) else branch.get("name")
            if len(schema) > 2 and name in named:
                options.append(st.tuples(st.just(name), _values(branch, named)))
            options.append(_values(branch, named))
        return st.one_of(options)
    logical = schema.get("logicalType")
    if logical == "uuid":
        return st.one_of(st.uuids(), st.uuids().map(str))
    if logical == "timestamp-millis":
        moments = st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC))
        return st.one_of(moments, st.integers(-(2**40), 2**40))
    if logical == "date":
        return st.one_of(st.dates(date(1900, 1, 1)), st.integers(-(10**5), 10**5))
    kind = schema["type"]
    if kind == "record":
        required = {}
        optional = {}
        for field in schema["fields"]:
            (optional if "default" in field else required)[field["name"]] = _values(
                field["type"], named
            )
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "enum":
        return st.sampled_from(schema["symbols"])
    if kind == "array":
        return st.lists(_values(schema["items"], named), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=10), _values(schema["values"], named), max_size=3)
    if kind == "fixed":
        return st.binary(min_size=schema["size"], max_size=schema["size"])
    return _values(kind, named)


def _generated(name: str) -> tuple[dict[str, Any], st.SearchStrategy[Any]]:
    named: dict[str, Any] = {}
    parsed = parse_schema(_schema(name), named)
    return _schema(name), _values(parsed, named)


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_generated_records_of_every_schema_write_fastavros_bytes(name: str) -> None:
    schema, strategy = _generated(name)
    write = compile_writer(schema)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(record=strategy)
    def check(record: Any) -> None:
        assert write(record) == _fastavro(schema, record)

    check()


def test_timestamps_keep_millisecond_precision_either_side_of_the_epoch() -> None:
    schema = _schema(CANONICAL_EVENT)
    write = compile_writer(schema)
    event = canonical_event()
    for moment in (
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC) - timedelta(microseconds=1),
        datetime(2024, 2, 29, 12, 0, 0, 500, tzinfo=UTC),
    ):
        event["generated_at"] = moment
        assert write(event) == _fastavro(schema, event)


def test_a_prefix_is_written_before_the_body() -> None:
    schema = _schema(CANONICAL_EVENT)
    event = canonical_event()
    frame = b"\x00\x00\x00\x00\x07"
    assert compile_writer(schema, prefix=frame)(event) == frame + _fastavro(schema, event)


@pytest.mark.parametrize("size", [0, 63, 64, 127, 128, 8191, 8192, 8193, 70_000])
def test_text_of_every_length_class_writes_fastavros_bytes(size: int) -> None:
    # lengths are written from a table below 8192 (one- and two-byte varints), computed above
    schema = {
        "type": "record",
        "name": "Texts",
        "fields": [
            {"name": "text", "type": "string"},
            {"name": "optional", "type": ["null", "string"]},
            {"name": "notes", "type": {"type": "map", "values": "string"}},
            {"name": "raw", "type": "bytes"},
        ],
    }
    text = "x" * size  # exactly ``size`` bytes
    wide = "æ" * (size // 2) + "x" * (size % 2)  # ``size`` bytes of two-byte characters
    record = {"text": text, "optional": wide, "notes": {wide: text}, "raw": wide.encode()}
    assert compile_writer(schema)(record) == _fastavro(schema, record)
