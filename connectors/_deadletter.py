"""Dead letters: the original bytes and headers, stamped with ``samflyt.error.*`` headers."""

from __future__ import annotations

from .kafka import Outgoing
from .sdk import headers as h
from .sdk.exceptions import BadRecordError, ConnectorError
from .sdk.records import Record

__all__ = ["as_connector_error", "dead_letter", "without_value"]


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text[:1000]


def _code(error: BaseException) -> str:
    if isinstance(error, ConnectorError):
        return error.code
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else type(error).__name__


def as_connector_error(error: BaseException) -> ConnectorError:
    """``error`` as the SDK's error a source is told (``Record.error``), with the reason and
    code its dead letter carries."""
    if isinstance(error, ConnectorError):
        return error
    return BadRecordError(_reason(error), code=_code(error))


def dead_letter(
    record: Record,
    error: BaseException,
    *,
    topic: str,
    connector: str,
    stage: str,
    target_topic: str | None = None,
) -> Outgoing:
    """The dead letter for ``record`` (pure: ``record`` is not changed).

    ``stage`` says where it failed: ``source`` (the source rejected it), ``publish`` (the
    broker refused it) or ``sink`` (the sink could not write it). A record a sink read from
    Kafka also gets its origin topic/partition/offset; a source's record the topic it was meant
    for (``target_topic``).
    """
    headers = record.headers
    for name, value in (
        (h.ERROR_REASON, _reason(error)),
        (h.ERROR_CODE, _code(error)),
        (h.ERROR_CONNECTOR, connector),
        (h.ERROR_STAGE, stage),
    ):
        headers = h.with_header(headers, name, value)
    if stage != "sink" and target_topic:  # where it was to be published: a replay sends it there
        headers = h.with_header(headers, h.ERROR_TOPIC, target_topic)
    if stage == "sink" and record.position is not None:
        origin_topic, _, partition = record.position.stream.rpartition(":")
        headers = h.with_header(headers, h.ERROR_TOPIC, origin_topic)
        headers = h.with_header(headers, h.ERROR_PARTITION, partition)
        headers = h.with_header(headers, h.ERROR_OFFSET, record.position.offset)
    return Outgoing(topic=topic, value=record.value, key=record.key, headers=headers)


def without_value(letter: Outgoing, error: BaseException) -> Outgoing:
    """``letter`` without its bytes, which the broker refused (e.g. too large for the topic):
    their size and why they were dropped go in the headers; the source still has them."""
    headers = h.with_header(
        letter.headers,
        h.ERROR_VALUE_DROPPED,
        f"{len(letter.value or b'')} bytes not carried: {_reason(error)}"[:1000],
    )
    return Outgoing(topic=letter.topic, value=b"", key=letter.key, headers=headers)
