"""Delivery confirmations: what a sink tells the journey about each routed delivery it wrote."""

from __future__ import annotations

from .kafka import Outgoing
from .sdk import headers as h
from .sdk.records import Record

__all__ = ["confirmation", "confirms"]


def confirms(record: Record) -> bool:
    """A routed delivery (it carries its delivery id) is confirmed; anything else is not."""
    return bool(record.header(h.DELIVERY_ID))


def confirmation(record: Record, *, topic: str, connector: str, lane: str) -> Outgoing:
    """The confirmation that ``record`` was written (pure). No value: the delivery's own headers
    (its ids, the citizen's pseudonym, trace context, replay attempt) say what was delivered,
    and the record's Kafka timestamp when; the sink and lane say by whom."""
    headers = h.with_header(record.headers, h.CONNECTOR, connector)
    headers = h.with_header(headers, h.SINK_LANE, lane)
    return Outgoing(topic=topic, value=b"", key=record.key, headers=headers)
