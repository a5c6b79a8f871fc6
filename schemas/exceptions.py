"""Errors of the Avro layer: schema catalogue and codec.

None of them is retriable: bytes that do not decode, an unknown schema id or a record that does not
fit its schema will fail the same way on every attempt. A consumer dead-letters the record (codec
errors) or refuses to start (catalogue errors).
"""

from __future__ import annotations

from schemas.errors import SamflytError

__all__ = [
    "CatalogueError",
    "CodecError",
    "CorruptPayloadError",
    "EncodeError",
    "FramingError",
    "UnexpectedSchemaError",
    "UnknownSchemaError",
]


class CatalogueError(SamflytError):
    """The schema catalogue or a schema file is inconsistent; raised at start-up or in tests."""


class CodecError(SamflytError):
    """Root of encode/decode errors of framed Avro values."""


class FramingError(CodecError):
    """The bytes are not a framed Avro value: too short, or the magic byte is not 0."""


class UnknownSchemaError(CodecError):
    """The schema id in the frame, or the schema name asked for, is not in the catalogue."""

    def __init__(self, detail: str, *, schema_id: int | None = None) -> None:
        super().__init__(detail)
        self.schema_id = schema_id


class CorruptPayloadError(CodecError):
    """The body after a valid frame does not decode with the schema its id names."""


class UnexpectedSchemaError(CodecError):
    """The value decoded fine but with a different schema than the caller expected."""


class EncodeError(CodecError):
    """A record does not fit the schema it is encoded with (a programming error upstream)."""
