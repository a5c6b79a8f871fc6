"""Naming multi-record union branches by their field sets, and the fallback when that is unsafe."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from schemas._avro_unions import plan, tag


def rec(name: str, *fields: tuple[str, Any]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "namespace": "no.test",
        "fields": [{"name": n, "type": t} for n, t in fields],
    }


A = rec("A", ("x", "int"))
B = rec("B", ("y", "int"))


def round_trip(schema: dict[str, Any], datum: Any) -> Any:
    parsed = parse_schema(schema, {})
    out = BytesIO()
    schemaless_writer(out, parsed, datum)
    out.seek(0)
    record = schemaless_reader(out, parsed, None)
    steps = plan(schema)
    assert steps is not None
    tag(steps, record)
    return record


def test_branches_are_named_by_field_set_also_nested() -> None:
    inner = rec("Inner", ("u", [A, B]))
    outer = rec("Outer", ("opt", ["null", inner]), ("v", ["null", "no.test.A", "no.test.B"]))
    datum = {"opt": {"u": ("no.test.B", {"y": 2})}, "v": ("no.test.A", {"x": 1})}
    assert round_trip(outer, datum) == datum
    assert round_trip(outer, {"opt": None, "v": None}) == {"opt": None, "v": None}


def test_single_record_unions_stay_plain() -> None:
    schema = rec("R", ("a", ["null", A]))
    assert plan(schema) == []
    assert round_trip(schema, {"a": {"x": 1}}) == {"a": {"x": 1}}


def test_unsafe_shapes_fall_back() -> None:
    same_fields = rec("R", ("u", [A, rec("C", ("x", "int"))]))
    with_map = rec("R", ("u", [A, B, {"type": "map", "values": "int"}]))
    in_array = rec("R", ("u", {"type": "array", "items": [A, B]}))
    recursive = rec("R", ("u", ["null", "no.test.R", B]))
    for schema in (same_fields, with_map, in_array, recursive):
        assert plan(schema) is None, schema
