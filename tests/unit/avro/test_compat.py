"""The backward-compatibility checker against the Avro specification's resolution rules.

Every case says whether a reader with ``new`` can read data written with ``old``; where a datum
shows the difference, fastavro's own schema resolution is the oracle: it must read the datum when
the checker says compatible, and fail when the checker says not.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from schemas.catalogue import default_catalogue
from schemas.compat import incompatibilities, is_backward_compatible


def rec(*fields: dict[str, Any], name: str = "R", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "no.test", "fields": list(fields), **extra}


def f(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def enum(*symbols: str, **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": "E", "symbols": list(symbols), **extra}


def resolves(new: Any, old: Any, datum: Any) -> bool:
    out = BytesIO()
    schemaless_writer(out, parse_schema(old, {}), datum)
    out.seek(0)
    try:
        schemaless_reader(out, parse_schema(old, {}), parse_schema(new, {}))
    except Exception:
        return False
    return True


LINKED = rec(f("value", "int"), f("next", ["null", "no.test.R"], default=None))

COMPATIBLE: list[tuple[str, Any, Any, Any]] = [
    ("identical", rec(f("a", "int")), rec(f("a", "int")), {"a": 1}),
    (
        "field added with default",
        rec(f("a", "int"), f("b", "string", default="x")),
        rec(f("a", "int")),
        {"a": 1},
    ),
    ("field removed", rec(f("a", "int")), rec(f("a", "int"), f("b", "string")), {"a": 1, "b": "x"}),
    ("int to long", rec(f("a", "long")), rec(f("a", "int")), {"a": 1}),
    ("int to float", rec(f("a", "float")), rec(f("a", "int")), {"a": 1}),
    ("int to double", rec(f("a", "double")), rec(f("a", "int")), {"a": 1}),
    ("long to double", rec(f("a", "double")), rec(f("a", "long")), {"a": 2**40}),
    ("float to double", rec(f("a", "double")), rec(f("a", "float")), {"a": 1.5}),
    ("string to bytes", rec(f("a", "bytes")), rec(f("a", "string")), {"a": "x"}),
    ("bytes to string", rec(f("a", "string")), rec(f("a", "bytes")), {"a": b"x"}),
    ("type into nullable union", rec(f("a", ["null", "int"])), rec(f("a", "int")), {"a": 1}),
    (
        "union widened",
        rec(f("a", ["null", "int", "string"])),
        rec(f("a", ["null", "int"])),
        {"a": 1},
    ),
    (
        "union branch promoted",
        rec(f("a", ["null", "long"])),
        rec(f("a", ["null", "int"])),
        {"a": 1},
    ),
    ("union to its only branch", rec(f("a", "long")), rec(f("a", ["int"])), {"a": 1}),
    (
        "enum symbol added",
        rec(f("e", enum("A", "B", "C"))),
        rec(f("e", enum("A", "B"))),
        {"e": "B"},
    ),
    (
        "enum symbol removed, reader default",
        rec(f("e", enum("A", "Z", default="Z"))),
        rec(f("e", enum("A", "B"))),
        {"e": "B"},
    ),
    (
        "nested record field added with default",
        rec(f("n", rec(f("x", "int"), f("y", "int", default=0), name="N"))),
        rec(f("n", rec(f("x", "int"), name="N"))),
        {"n": {"x": 1}},
    ),
    (
        "array items promoted",
        rec(f("a", {"type": "array", "items": "double"})),
        rec(f("a", {"type": "array", "items": "int"})),
        {"a": [1, 2]},
    ),
    (
        "map values promoted",
        rec(f("m", {"type": "map", "values": "long"})),
        rec(f("m", {"type": "map", "values": "int"})),
        {"m": {"k": 1}},
    ),
    (
        "field renamed with alias",
        rec(f("b", "int", aliases=["a"])),
        rec(f("a", "int")),
        {"a": 1},
    ),
    (
        "record renamed with alias",
        rec(f("a", "int"), name="S", aliases=["R"]),
        rec(f("a", "int")),
        {"a": 1},
    ),
    (
        "namespace moved (unqualified names match)",
        {**rec(f("a", "int")), "namespace": "no.other"},
        rec(f("a", "int")),
        {"a": 1},
    ),
    ("recursive type", LINKED, LINKED, {"value": 1, "next": {"value": 2, "next": None}}),
    (
        "fixed unchanged",
        rec(f("h", {"type": "fixed", "name": "H", "size": 4})),
        rec(f("h", {"type": "fixed", "name": "H", "size": 4})),
        {"h": b"abcd"},
    ),
    (
        "named type referenced twice",
        rec(f("a", rec(f("x", "int"), name="N")), f("b", ["null", "no.test.N"], default=None)),
        rec(f("a", rec(f("x", "int"), name="N")), f("b", ["null", "no.test.N"], default=None)),
        {"a": {"x": 1}, "b": {"x": 2}},
    ),
    (
        "logical type kept",
        rec(f("t", {"type": "long", "logicalType": "timestamp-millis"})),
        rec(f("t", {"type": "long", "logicalType": "timestamp-millis"})),
        {"t": 0},
    ),
]

INCOMPATIBLE: list[tuple[str, Any, Any, Any, str]] = [
    (
        "field added without default",
        rec(f("a", "int"), f("b", "string")),
        rec(f("a", "int")),
        {"a": 1},
        "R.b: field added without a default",
    ),
    ("string to int", rec(f("a", "int")), rec(f("a", "string")), {"a": "x"}, "cannot be read"),
    ("long to int", rec(f("a", "int")), rec(f("a", "long")), {"a": 1}, "cannot be read"),
    ("double to float", rec(f("a", "float")), rec(f("a", "double")), {"a": 1.0}, "cannot"),
    ("boolean to int", rec(f("a", "int")), rec(f("a", "boolean")), {"a": True}, "cannot"),
    (
        "nullable to required",
        rec(f("a", "int")),
        rec(f("a", ["null", "int"])),
        {"a": None},
        "R.a<null>: null cannot be read as int",
    ),
    (
        "union narrowed",
        rec(f("a", ["null", "int"])),
        rec(f("a", ["null", "int", "string"])),
        {"a": "x"},
        "no branch for string",
    ),
    (
        "enum symbol removed without default",
        rec(f("e", enum("A"))),
        rec(f("e", enum("A", "B"))),
        {"e": "B"},
        "enum symbols ['B'] removed",
    ),
    (
        "enum renamed",
        rec(f("e", {**enum("A"), "name": "F"})),
        rec(f("e", enum("A"))),
        {"e": "A"},
        "cannot be read",
    ),
    (
        "record renamed without alias",
        rec(f("a", "int"), name="S"),
        rec(f("a", "int")),
        {"a": 1},
        "record no.test.R cannot be read as record no.test.S",
    ),
    (
        "fixed size changed",
        rec(f("h", {"type": "fixed", "name": "H", "size": 8})),
        rec(f("h", {"type": "fixed", "name": "H", "size": 4})),
        {"h": b"abcd"},
        "cannot be read",
    ),
    (
        "nested record field added without default",
        rec(f("n", rec(f("x", "int"), f("y", "int"), name="N"))),
        rec(f("n", rec(f("x", "int"), name="N"))),
        {"n": {"x": 1}},
        "R.n.y: field added without a default",
    ),
    (
        "array items narrowed",
        rec(f("a", {"type": "array", "items": "int"})),
        rec(f("a", {"type": "array", "items": "long"})),
        {"a": [1]},
        "R.a[]",
    ),
    (
        "map values changed",
        rec(f("m", {"type": "map", "values": "int"})),
        rec(f("m", {"type": "map", "values": "string"})),
        {"m": {"k": "v"}},
        "R.m{}",
    ),
    (
        "array became map",
        rec(f("a", {"type": "map", "values": "int"})),
        rec(f("a", {"type": "array", "items": "int"})),
        {"a": [1]},
        "array cannot be read as map",
    ),
    (
        "deep in a union of records",
        rec(f("p", [rec(f("x", "int"), name="A"), rec(f("y", "int"), f("z", "int"), name="B")])),
        rec(f("p", [rec(f("x", "int"), name="A"), rec(f("y", "int"), name="B")])),
        {"p": ("no.test.B", {"y": 1})},
        "R.p<record no.test.B>.z: field added without a default",
    ),
]

LOGICAL_ONLY = [
    (
        "logical type changed (stricter than the spec)",
        rec(f("t", {"type": "long", "logicalType": "timestamp-micros"})),
        rec(f("t", {"type": "long", "logicalType": "timestamp-millis"})),
    ),
    (
        "decimal scale changed",
        rec(f("d", {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 3})),
        rec(f("d", {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2})),
    ),
]


@pytest.mark.parametrize(
    ("case", "new", "old", "datum"), COMPATIBLE, ids=[c[0] for c in COMPATIBLE]
)
def test_compatible(case: str, new: Any, old: Any, datum: Any) -> None:
    assert incompatibilities(reader=new, writer=old) == []
    assert is_backward_compatible(new, old)
    assert resolves(new, old, datum), "fastavro disagrees"


@pytest.mark.parametrize(
    ("case", "new", "old", "datum", "reason"), INCOMPATIBLE, ids=[c[0] for c in INCOMPATIBLE]
)
def test_incompatible(case: str, new: Any, old: Any, datum: Any, reason: str) -> None:
    problems = incompatibilities(reader=new, writer=old)
    assert problems, "not flagged"
    assert any(reason in p for p in problems), problems
    assert not is_backward_compatible(new, old)
    assert not resolves(new, old, datum), "fastavro reads it anyway"


@pytest.mark.parametrize(("case", "new", "old"), LOGICAL_ONLY, ids=[c[0] for c in LOGICAL_ONLY])
def test_logical_type_changes_are_flagged(case: str, new: Any, old: Any) -> None:
    assert any("logical type" in p for p in incompatibilities(reader=new, writer=old))


def test_compatibility_is_directional() -> None:
    narrow, wide = rec(f("a", "int")), rec(f("a", "long"))
    assert is_backward_compatible(wide, narrow)
    assert not is_backward_compatible(narrow, wide)


def test_every_problem_is_reported() -> None:
    new = rec(f("a", "string"), f("b", "int"), f("c", enum("A")))
    old = rec(f("a", "int"), f("c", enum("A", "B")))
    assert len(incompatibilities(reader=new, writer=old)) == 3


def test_unknown_reference_is_reported_not_raised() -> None:
    problems = incompatibilities(reader=rec(f("a", "no.test.Missing")), writer=rec(f("a", "int")))
    assert problems
    assert "malformed" in problems[0]


def test_shipped_schema_against_itself_and_a_broken_copy() -> None:
    catalogue = default_catalogue()
    event = catalogue.schema(catalogue.latest("CanonicalEvent"))
    assert incompatibilities(reader=event, writer=event) == []
    broken = {**event, "fields": [*event["fields"], {"name": "new_required", "type": "string"}]}
    assert incompatibilities(reader=broken, writer=event) == [
        "no.samflyt.event.CanonicalEvent.new_required: field added without a default"
    ]
