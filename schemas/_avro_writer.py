"""Avro binary writers compiled once per schema: the same bytes as fastavro, at a third of the cost.

Why not ``fastavro.schemaless_writer`` for every value: to choose the branch of a union it
validates the value against each branch in turn, so every optional field (``["null", "string"]``)
costs two validations and an optional record a deep one; on our canonical events that is half of
the encoding time (profiled: ``write_union`` → ``_validate``). Our unions are almost all
``["null", X]``, where the branch follows from ``value is None``, and the multi-record payload
union is written in fastavro's tuple notation ``(full name, record)``. So each schema is compiled
once into functions that write straight into a ``bytearray``: a record's writer is generated as
straight-line code with its string, optional-string, boolean, long, enum and array fields
inline (a call per field was a third of the remaining cost), other types are closures. Only a
union with several non-null branches and a value not in tuple notation is handed to fastavro,
which then picks the branch exactly as before.

Semantics follow fastavro's writer with ``strict_allow_default=True``: a record must have exactly
its schema's fields, a missing field is written with its default when it has one, logical types
accept the same Python values. A value that does not fit raises ``TypeError``, ``ValueError`` or
``KeyError`` (the codec turns them into :class:`~schemas.exceptions.EncodeError`). The tests check
the output byte for byte against fastavro for every schema and sample, and for generated records.
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid
from collections.abc import Callable, Mapping
from io import BytesIO
from typing import Any, cast

from fastavro import parse_schema, schemaless_writer
from fastavro._logical_writers_py import LOGICAL_WRITERS

__all__ = ["BodyWriter", "compile_writer", "long_bytes"]

Write = Callable[[bytearray, Any], None]
BodyWriter = Callable[[Mapping[str, Any]], bytes]

_MISSING = object()
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)
_DAY_MS = 86_400_000
_FLOAT = struct.Struct("<f").pack
_DOUBLE = struct.Struct("<d").pack
# zig-zag varints of -64..63, the lengths and small numbers nearly every value has
_SMALL = {n: bytes([(n << 1) ^ (n >> 63)]) for n in range(-64, 64)}


def long_bytes(value: int) -> bytes:
    """Avro's variable-length zig-zag encoding of a long."""
    small = _SMALL.get(value)
    if small is not None:
        return small
    if not -(1 << 63) <= value < (1 << 63):
        raise ValueError(f"{value} does not fit a 64-bit long")
    n = (value << 1) ^ (value >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


# the encoded lengths up to _LENGTHS (one or two bytes): a list index is the cheapest lookup,
# and texts of our records (descriptions, names, ids) are mostly over 63 bytes or near it
_LENGTHS = 8192
_LENGTH = [long_bytes(n) for n in range(_LENGTHS)]


def _write_null(buf: bytearray, value: Any) -> None:
    if value is not None:
        raise TypeError(f"expected null, got {type(value).__name__}")


def _write_boolean(buf: bytearray, value: Any) -> None:
    buf += b"\x01" if value else b"\x00"


def _write_long(buf: bytearray, value: Any) -> None:
    if not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    buf += long_bytes(value)


def _write_int(buf: bytearray, value: Any) -> None:
    if not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    if not -(1 << 31) <= value < (1 << 31):
        raise ValueError(f"{value} does not fit a 32-bit int")
    buf += long_bytes(value)


def _write_float(buf: bytearray, value: Any) -> None:
    buf += _FLOAT(value)


def _write_double(buf: bytearray, value: Any) -> None:
    buf += _DOUBLE(value)


def _write_bytes(buf: bytearray, value: Any) -> None:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"expected bytes, got {type(value).__name__}")
    buf += long_bytes(len(value))
    buf += value


def _write_string(buf: bytearray, value: Any) -> None:
    data = value.encode()  # AttributeError on a non-str: re-raised as TypeError by the caller
    size = len(data)
    buf += _LENGTH[size] if size < _LENGTHS else long_bytes(size)
    buf += data


def _write_uuid(buf: bytearray, value: Any) -> None:
    _write_string(buf, str(value) if isinstance(value, uuid.UUID) else value)


def _write_timestamp_millis(buf: bytearray, value: Any) -> None:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        delta = value - _EPOCH
        value = delta.days * _DAY_MS + delta.seconds * 1000 + delta.microseconds // 1000
    elif not isinstance(value, int):
        value = LOGICAL_WRITERS["long-timestamp-millis"](value, {})  # naive: as fastavro does
    _write_long(buf, value)


def _write_date(buf: bytearray, value: Any) -> None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = (value - _EPOCH_DATE).days
    elif not isinstance(value, int):
        value = LOGICAL_WRITERS["int-date"](value, {})
    _write_int(buf, value)


_PRIMITIVES: dict[str, Write] = {
    "null": _write_null,
    "boolean": _write_boolean,
    "int": _write_int,
    "long": _write_long,
    "float": _write_float,
    "double": _write_double,
    "bytes": _write_bytes,
    "string": _write_string,
}
_LOGICAL: dict[tuple[str, str], Write] = {
    ("string", "uuid"): _write_uuid,
    ("long", "timestamp-millis"): _write_timestamp_millis,
    ("int", "date"): _write_date,
}


class _Compiler:
    def __init__(self, named: dict[str, Any]) -> None:
        self.named = named
        self.done: dict[str, Write] = {}
        self.slots: dict[str, list[Write]] = {}  # named types being compiled (recursion)

    def node(self, schema: Any) -> Write:
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return _PRIMITIVES[schema]
            return self.named_type(schema)
        if isinstance(schema, list):
            return self.union(schema)
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical is not None and (kind, logical) in _LOGICAL:
            return _LOGICAL[(kind, logical)]
        if logical is not None and isinstance(kind, str) and f"{kind}-{logical}" in LOGICAL_WRITERS:
            return self.fastavro_value(schema)  # a logical type we do not use: fastavro's rules
        if kind in ("record", "error", "enum", "fixed"):
            return self.named_type(schema["name"], schema)
        if kind == "array":
            return self.array(self.node(schema["items"]))
        if kind == "map":
            return self.map(self.node(schema["values"]))
        return self.node(kind)

    def named_type(self, name: str, definition: Any = None) -> Write:
        found = self.done.get(name)
        if found is not None:
            return found
        if name in self.slots:  # recursive reference: resolved when the type is finished
            pending = self.slots[name]

            def deferred(buf: bytearray, value: Any) -> None:
                pending[0](buf, value)

            return deferred
        schema = definition if definition is not None else self.named[name]
        slot: list[Write] = []
        self.slots[name] = slot
        kind = schema["type"]
        if kind in ("record", "error"):
            write = self.record(schema)
        elif kind == "enum":
            write = self.enum(schema)
        else:
            write = self.fixed(schema)
        slot.append(write)
        del self.slots[name]
        self.done[name] = write
        return write

    def record(self, schema: dict[str, Any]) -> Write:
        """A record writer generated as straight-line code, one block per field.

        Most of our fields are optional strings: written inline they cost a few bytecodes
        each, where a loop over (name, writer, default) with a call per field and per union
        branch cost three times as much. Fields of other types call their compiled writer."""
        record_name = schema["name"]
        fields = schema["fields"]
        names = frozenset(field["name"] for field in fields)
        env: dict[str, Any] = {
            "_MISSING": _MISSING,
            "_LENGTH": _LENGTH,
            "_LENGTHS": _LENGTHS,
            "_SMALL": _SMALL,
            "long_bytes": long_bytes,
            "names": names,
        }
        body: list[str] = []
        fast: list[str] = []  # every field present, read by subscript (see below)
        for i, field in enumerate(fields):
            name = field["name"]
            write = self.node(field["type"])
            env[f"w{i}"] = write
            fast.append(f"v = value[{name!r}]")
            fast.extend(self.inline(field["type"], i, env))
            body.append(f"field = {name!r}")
            body.append(f"v = get({name!r}, _MISSING)")
            body.append("if v is _MISSING:")
            default = field.get("default", _MISSING)
            if default is _MISSING:
                missing = f"field {name} of {record_name} is missing"
                body.append(f"    raise ValueError({missing!r})")
            else:
                env[f"d{i}"] = self.prepared_default(write, default)
                body.append(f"    buf += d{i}")
            body.append("else:")
            body.append("    present += 1")
            body.extend("    " + line for line in self.inline(field["type"], i, env))
        # The fast path: a plain dict with exactly the schema's fields (what the mappings build)
        # is read by subscript, with no default or extra-key bookkeeping. Anything it does not
        # take (a missing field, a value of the wrong type) is undone and left to the checked
        # path below, which writes the defaults and raises the precise error.
        lines = [
            "def write_record(buf, value):",
            f"    if type(value) is dict and len(value) == {len(fields)}:",
            "        start = len(buf)",
            "        try:",
            *("            " + line for line in fast),
            "            return",
            "        except Exception:",
            "            del buf[start:]",
            "    get = value.get",
            "    present = 0",
            "    field = None",
            "    try:",
            *("        " + line for line in body),
            "    except AttributeError as exc:",
            "        raise TypeError(f'{exc} on field {field}') from None",
            "    if present != len(value):",
            "        extra = sorted(str(k) for k in value if k not in names)",
            f"        raise ValueError({f'{record_name} has no fields '!r} + str(extra))",
        ]
        exec(compile("\n".join(lines), f"<avro writer {record_name}>", "exec"), env)
        return cast(Write, env["write_record"])

    def inline(self, schema: Any, i: int, env: dict[str, Any]) -> list[str]:
        """Code writing ``v`` of field ``i``: inline for strings, optional strings, booleans,
        longs, enums and arrays; a call of the field's compiled writer ``w{i}`` for the rest."""
        string = [
            "data = v.encode()",
            "size = len(data)",
            "buf += _LENGTH[size] if size < _LENGTHS else long_bytes(size)",
            "buf += data",
        ]
        if schema == "string":
            return string
        if schema == "boolean":
            return ['buf += b"\\x01" if v else b"\\x00"']
        if schema == "long":  # anything but a plain int takes the checked path
            return [
                "if type(v) is int and -64 <= v < 64:",
                "    buf += _SMALL[v]",
                "else:",
                f"    w{i}(buf, v)",
            ]
        if isinstance(schema, list) and sorted(schema, key=str) == ["null", "string"]:
            env[f"n{i}"] = long_bytes(schema.index("null"))
            env[f"s{i}"] = long_bytes(schema.index("string"))
            return [
                "if v is None:",
                f"    buf += n{i}",
                "else:",
                "    if type(v) is tuple and len(v) == 2 and v[0] == 'string':",
                "        v = v[1]",
                f"    buf += s{i}",
                *("    " + line for line in string),
            ]
        definition = self.named.get(schema) if isinstance(schema, str) else schema
        if isinstance(definition, dict) and definition.get("type") == "enum":
            env[f"e{i}"] = {s: long_bytes(n) for n, s in enumerate(definition["symbols"])}
            return [
                f"symbol = e{i}.get(v)",
                "if symbol is None:",
                f"    w{i}(buf, v)  # not a symbol: raises the enum writer's error",
                "else:",
                "    buf += symbol",
            ]
        if isinstance(definition, dict) and definition.get("type") == "array":
            env[f"a{i}"] = self.node(definition["items"])
            return [
                "if v:",
                "    size = len(v)",
                "    buf += _LENGTH[size] if size < _LENGTHS else long_bytes(size)",
                "    for item in v:",
                f"        a{i}(buf, item)",
                'buf += b"\\x00"',
            ]
        return [f"w{i}(buf, v)"]

    @staticmethod
    def prepared_default(write: Write, default: Any) -> bytes:
        """The encoded default, written once: fastavro writes a missing field's default."""
        buf = bytearray()
        write(buf, default)
        return bytes(buf)

    def enum(self, schema: dict[str, Any]) -> Write:
        index = {symbol: long_bytes(i) for i, symbol in enumerate(schema["symbols"])}
        name = schema["name"]

        def write_enum(buf: bytearray, value: Any) -> None:
            found = index.get(value)
            if found is None:
                raise ValueError(f"{value!r} is not a symbol of {name}")
            buf += found

        return write_enum

    def fixed(self, schema: dict[str, Any]) -> Write:
        size = schema["size"]

        def write_fixed(buf: bytearray, value: Any) -> None:
            if len(value) != size:
                raise ValueError(f"fixed {schema['name']} takes {size} bytes, got {len(value)}")
            buf += value

        return write_fixed

    def array(self, items: Write) -> Write:
        def write_array(buf: bytearray, value: Any) -> None:
            if value:
                buf += long_bytes(len(value))
                for item in value:
                    items(buf, item)
            buf += b"\x00"

        return write_array

    def map(self, values: Write) -> Write:
        def write_map(buf: bytearray, value: Any) -> None:
            if value:
                buf += long_bytes(len(value))
                for key, item in value.items():
                    _write_string(buf, key)
                    values(buf, item)
            buf += b"\x00"

        return write_map

    def union(self, branches: list[Any]) -> Write:
        names = [self.branch_name(b) for b in branches]
        writes = [self.node(b) for b in branches]
        by_name = {name: (long_bytes(i), writes[i]) for i, name in enumerate(names)}
        null_index = names.index("null") if "null" in names else -1
        others = [i for i, name in enumerate(names) if name != "null"]
        chosen = self.fastavro_value(branches) if len(others) > 1 else None

        if null_index >= 0 and len(others) == 1:
            null_tag = long_bytes(null_index)
            value_tag, write_value = long_bytes(others[0]), writes[others[0]]
            value_name = names[others[0]]

            def write_optional(buf: bytearray, value: Any) -> None:
                if value is None:
                    buf += null_tag
                elif type(value) is tuple and len(value) == 2 and value[0] == value_name:
                    buf += value_tag
                    write_value(buf, value[1])
                else:
                    buf += value_tag
                    write_value(buf, value)

            return write_optional

        def write_union(buf: bytearray, value: Any) -> None:
            if value is None and null_index >= 0:
                buf += long_bytes(null_index)
                return
            if type(value) is tuple and len(value) == 2:
                found = by_name.get(value[0])
                if found is None:
                    raise ValueError(f"union type {value[0]!r} not found in {names}")
                buf += found[0]
                found[1](buf, value[1])
                return
            assert chosen is not None  # only unions of one non-null branch lack it
            chosen(buf, value)  # fastavro picks the branch by validation

        return write_union

    def branch_name(self, branch: Any) -> str:
        """The name fastavro's tuple notation uses for a branch (full name or type name)."""
        if isinstance(branch, str):
            return branch
        if isinstance(branch, dict):
            kind = branch["type"]
            if kind in ("record", "error", "enum", "fixed"):
                return str(branch["name"])
            return kind if isinstance(kind, str) else str(kind)
        return "union"

    def fastavro_value(self, schema: Any) -> Write:
        parsed = parse_schema(schema, dict(self.named)) if not isinstance(schema, str) else schema

        def write_with_fastavro(buf: bytearray, value: Any) -> None:
            out = BytesIO()
            schemaless_writer(out, parsed, value, strict_allow_default=True)
            buf += out.getvalue()

        return write_with_fastavro


def compile_writer(schema: dict[str, Any], prefix: bytes = b"") -> BodyWriter:
    """A function writing ``prefix`` (e.g. a wire-format frame) and then the schemaless Avro
    body of a record of ``schema``, into one buffer."""
    named: dict[str, Any] = {}
    parsed = parse_schema(schema, named)
    write = _Compiler(named).node(parsed)

    def write_body(record: Mapping[str, Any]) -> bytes:
        buf = bytearray(prefix)
        write(buf, record)
        return bytes(buf)

    return write_body
