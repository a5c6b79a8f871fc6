"""Framed Avro values: the Confluent wire format, so standard Avro consumers can read our topics.

A value is ``0x00`` (magic byte), the schema id as a 4-byte big-endian unsigned integer, then the
record as a schemaless Avro body (fastavro). Ids come from :mod:`schemas.catalogue`; records are
written with the latest version of their schema, and a value written with an older version is
resolved into the latest on reading.

Decoded records follow fastavro's conventions: ``timestamp-millis`` fields are timezone-aware UTC
datetimes, ``uuid`` fields :class:`uuid.UUID`, and a union of several record types is a
``(full record name, record)`` tuple — the same tuple notation :func:`encode` accepts, so a decoded
record encodes again unchanged.

Every schema is parsed once (``fastavro.parse_schema``) and cached per id. Reading is fastavro's;
writing goes through a writer compiled once per schema (:mod:`schemas._avro_writer`), which gives
fastavro's bytes at about a third of its cost.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from functools import lru_cache
from io import BytesIO
from typing import Any

from fastavro import parse_schema, schemaless_reader
from fastavro.schema import to_parsing_canonical_form

from schemas._avro_unions import Plan, definitions, plan, tag
from schemas._avro_writer import BodyWriter, compile_writer, long_bytes
from schemas.catalogue import Catalogue, SchemaVersion, default_catalogue, expand
from schemas.exceptions import (
    CorruptPayloadError,
    EncodeError,
    FramingError,
    UnexpectedSchemaError,
)

__all__ = [
    "HEADER_SIZE",
    "MAGIC_BYTE",
    "Codec",
    "decode",
    "decode_as",
    "default_codec",
    "encode",
    "schema_id_of",
]

MAGIC_BYTE = 0
_FRAME = struct.Struct(">BI")
HEADER_SIZE = _FRAME.size


def schema_id_of(data: bytes) -> int:
    """The schema id in the frame of ``data``; :class:`FramingError` when there is no frame."""
    if len(data) < HEADER_SIZE:
        raise FramingError(f"framed Avro value too short: {len(data)} bytes")
    magic, schema_id = _FRAME.unpack_from(data)
    if magic != MAGIC_BYTE:
        raise FramingError(f"not a framed Avro value: magic byte {magic:#04x}, expected 0x00")
    return int(schema_id)


class Codec:
    """Encoder and decoder over one :class:`~schemas.catalogue.Catalogue`. Thread-safe to share."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue
        self._writers: dict[str, BodyWriter] = {}
        self._parsed = lru_cache(maxsize=None)(self._parse)
        self._plans = lru_cache(maxsize=None)(self._plan)
        self._splices = lru_cache(maxsize=None)(self._splice)
        self._heads = lru_cache(maxsize=None)(self._head)

    def _parse(self, schema_id: int) -> Any:
        return parse_schema(self._catalogue.schema(self._catalogue.by_id(schema_id)), {})

    def _plan(self, schema_id: int) -> Plan | None:
        return plan(self._catalogue.schema(self._catalogue.by_id(schema_id)))

    def _writer(self, schema_name: str) -> BodyWriter:
        """The framed writer of the latest version of ``schema_name``."""
        found = self._writers.get(schema_name)
        if found is None:
            entry = self._catalogue.latest(schema_name)
            frame = _FRAME.pack(MAGIC_BYTE, entry.schema_id)
            found = compile_writer(self._catalogue.schema(entry), prefix=frame)
            self._writers[schema_name] = found
        return found

    def preload(self) -> None:
        """Parse every schema now, so a broken catalogue fails at start-up, not mid-stream."""
        for entry in self._catalogue.entries():
            self._parsed(entry.schema_id)
            self._plans(entry.schema_id)
        for name in self._catalogue.names:
            self._writer(name)

    def encode(self, schema_name: str, record: Mapping[str, Any]) -> bytes:
        """The framed value of ``record`` under the latest version of ``schema_name``.

        ``schema_name`` is the full record name or the unqualified one (``CanonicalEvent``).
        Raises :class:`UnknownSchemaError` for a name not in the catalogue and
        :class:`EncodeError` when the record does not fit the schema (missing or unknown
        fields, wrong types).
        """
        write = self._writer(schema_name)
        try:
            return write(record)
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
            raise EncodeError(f"record does not fit {schema_name}: {exc}") from exc

    def wrap(self, schema_name: str, fields: Mapping[str, Any], framed: bytes) -> bytes:
        """Encode a record whose last field is a union of records, taking that field from
        ``framed`` — a framed value of one of the union's records — without decoding it.

        For fan-out: a ``Delivery`` around the consumed ``CanonicalEvent`` bytes costs the few
        delivery fields, not the whole event (Avro's binary encoding of a record is the
        concatenation of its fields'). ``fields`` are all the other fields. When ``framed`` was
        written with another version than the one the union embeds, it is decoded and the whole
        record encoded. ``framed`` is trusted to be well-formed (it came from our own topics);
        raises as :meth:`encode` and, for ``framed``, as :meth:`decode`.
        """
        wrapper = self._catalogue.latest(schema_name)
        tail = self._catalogue.by_id(schema_id_of(framed))
        splice = self._splices(wrapper.schema_id, tail.schema_id)
        if splice is None:
            last = self._catalogue.schema(wrapper)["fields"][-1]["name"]
            content = (tail.name, self._read(tail, framed))
            return self.encode(schema_name, {**fields, last: content})
        head, branch = splice
        try:
            framed_head = head(fields)
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
            raise EncodeError(f"record does not fit {schema_name}: {exc}") from exc
        return b"".join((framed_head, branch, memoryview(framed)[HEADER_SIZE:]))

    def _splice(self, wrapper_id: int, tail_id: int) -> tuple[BodyWriter, bytes] | None:
        """The framed writer of the other fields and the branch index bytes, when ``tail_id``
        is the embedded version."""
        wrapper = self._catalogue.schema(self._catalogue.by_id(wrapper_id))
        tail = self._catalogue.by_id(tail_id)
        branches = wrapper["fields"][-1]["type"]
        names = [
            b if isinstance(b, str) else f"{b.get('namespace')}.{b.get('name')}"
            for b in (branches if isinstance(branches, list) else [])
        ]
        if tail.name not in names:
            raise EncodeError(f"{tail.name} is not a branch of the last field of {wrapper['name']}")
        defs: dict[str, dict[str, Any]] = {}
        definitions(wrapper, defs)
        embedded = to_parsing_canonical_form(expand(tail.name, defs))
        if embedded != to_parsing_canonical_form(self._catalogue.schema(tail)):
            return None
        head = compile_writer(
            {**wrapper, "fields": wrapper["fields"][:-1]},
            prefix=_FRAME.pack(MAGIC_BYTE, wrapper_id),
        )
        return head, long_bytes(names.index(tail.name))

    def decode(self, data: bytes) -> tuple[str, dict[str, Any]]:
        """The schema name and record of a framed value, resolved into the latest version.

        Raises :class:`FramingError` (no frame), :class:`UnknownSchemaError` (id not in the
        catalogue) or :class:`CorruptPayloadError` (the body does not decode, or has bytes left).
        """
        entry = self._catalogue.by_id(schema_id_of(data))
        return entry.name, self._read(entry, data)

    def decode_as(self, expected_name: str, data: bytes) -> dict[str, Any]:
        """Like :meth:`decode`; :class:`UnexpectedSchemaError` unless it is ``expected_name``."""
        entry = self._catalogue.by_id(schema_id_of(data))
        if entry.name != self._catalogue.full_name(expected_name):
            raise UnexpectedSchemaError(
                f"expected {expected_name}, got {entry.name} v{entry.version}"
                f" (id {entry.schema_id})"
            )
        return self._read(entry, data)

    def decode_head(self, expected_name: str, data: bytes, before: str) -> dict[str, Any]:
        """Like :meth:`decode_as`, without the field ``before``.

        For the hops that read only an event's envelope (routing, the journey): a
        ``CanonicalEvent``'s ``payload`` was most of its decoding cost. When ``before`` is the
        last field of the latest version and the value was written with it, its bytes are not
        read at all (nor checked); otherwise the value is decoded whole and ``before`` dropped,
        so a field a later version adds after it still reaches the reader.
        """
        entry = self._catalogue.by_id(schema_id_of(data))
        if entry.name != self._catalogue.full_name(expected_name):
            raise UnexpectedSchemaError(
                f"expected {expected_name}, got {entry.name} v{entry.version}"
                f" (id {entry.schema_id})"
            )
        head = self._heads(entry.schema_id, before)
        if head is None or self._catalogue.latest(entry.name) != entry:
            record = self._read(entry, data)
            record.pop(before, None)
            return record
        return self._read(entry, data, head)

    def _head(self, schema_id: int, before: str) -> tuple[Any, Plan | None] | None:
        """The parsed writer schema of the fields before ``before`` and its union plan, when
        ``before`` is the last field; ``None`` otherwise."""
        schema = self._catalogue.schema(self._catalogue.by_id(schema_id))
        if schema["fields"][-1]["name"] != before:
            return None
        head = {**schema, "fields": schema["fields"][:-1]}
        return parse_schema(head, {}), plan(head)

    def _read(
        self, entry: SchemaVersion, data: bytes, head: tuple[Any, Plan | None] | None = None
    ) -> dict[str, Any]:
        latest = self._catalogue.latest(entry.name)
        if head is None:
            writer = self._parsed(entry.schema_id)
            reader = None if latest == entry else self._parsed(latest.schema_id)
            steps = self._plans(latest.schema_id)
        else:  # the latest version's head: no resolution, and the rest is left unread
            (writer, steps), reader = head, None
        body = BytesIO(data)
        body.seek(HEADER_SIZE)
        try:
            record = schemaless_reader(
                body,
                writer,
                reader,
                return_record_name=steps is None,
                return_record_name_override=steps is None,
            )
            if steps and isinstance(record, dict):
                tag(steps, record)
        except Exception as exc:  # hostile bytes can raise anything: all of it means corrupt
            raise CorruptPayloadError(
                f"{entry.name} v{entry.version} body does not decode: {type(exc).__name__}"
            ) from exc
        if head is None and body.tell() != len(data):
            raise CorruptPayloadError(
                f"{entry.name} v{entry.version} body has {len(data) - body.tell()} trailing bytes"
            )
        if not isinstance(record, dict):
            raise CorruptPayloadError(f"{entry.name} body is not a record")
        return record


@lru_cache(maxsize=1)
def default_codec() -> Codec:
    """The codec over the shipped catalogue, built once."""
    return Codec(default_catalogue())


def encode(schema_name: str, record: Mapping[str, Any]) -> bytes:
    """Encode with the shipped catalogue; see :meth:`Codec.encode`."""
    return default_codec().encode(schema_name, record)


def decode(data: bytes) -> tuple[str, dict[str, Any]]:
    """Decode with the shipped catalogue; see :meth:`Codec.decode`."""
    return default_codec().decode(data)


def decode_as(expected_name: str, data: bytes) -> dict[str, Any]:
    """Decode with the shipped catalogue; see :meth:`Codec.decode_as`."""
    return default_codec().decode_as(expected_name, data)
