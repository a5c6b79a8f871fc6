"""Kafka header names used by connectors (one place; every samflyt header is ``samflyt.``-prefixed).

Headers are ``(name, bytes)`` pairs, as Kafka carries them. Values never hold national ids.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CONNECTOR",
    "CONTENT_TYPE",
    "CONVERSATION_ID",
    "DELIVERY_ID",
    "ERROR_CODE",
    "ERROR_CONNECTOR",
    "ERROR_OFFSET",
    "ERROR_PARTITION",
    "ERROR_REASON",
    "ERROR_STAGE",
    "ERROR_TOPIC",
    "ERROR_VALUE_DROPPED",
    "MESSAGE_ID",
    "MESSAGE_TYPE",
    "PATIENT_KEY",
    "RECEIVED_AT",
    "RECIPIENT_HER_ID",
    "RECIPIENT_KEY",
    "SENDER_HER_ID",
    "SINK_LANE",
    "TRACEPARENT",
    "Headers",
    "get_header",
    "with_header",
]

Headers = tuple[tuple[str, bytes], ...]

TRACEPARENT = "traceparent"  # W3C trace context, not prefixed: it is a standard name
CONNECTOR = "samflyt.connector"
RECEIVED_AT = "samflyt.received-at"  # ISO 8601 UTC
MESSAGE_ID = "samflyt.message-id"
MESSAGE_TYPE = "samflyt.message-type"
CONVERSATION_ID = "samflyt.conversation-id"
SENDER_HER_ID = "samflyt.sender-her-id"  # the authenticated sender, when the source knows it
RECIPIENT_HER_ID = "samflyt.recipient-her-id"
PATIENT_KEY = "samflyt.patient-key"  # pseudonymous key, never the national id
CONTENT_TYPE = "samflyt.content-type"
# on a routed delivery (and so on its confirmation): its deterministic id, and for the citizen
# portal the pseudonymous key of the citizen it is for (never the national id)
DELIVERY_ID = "samflyt.delivery-id"
RECIPIENT_KEY = "samflyt.recipient-key"
SINK_LANE = "samflyt.sink-lane"  # on a delivery confirmation: the sink lane that wrote it

ERROR_REASON = "samflyt.error.reason"
ERROR_CODE = "samflyt.error.code"
ERROR_CONNECTOR = "samflyt.error.connector"
ERROR_STAGE = "samflyt.error.stage"  # source | publish | sink
ERROR_TOPIC = "samflyt.error.topic"  # where a sink read the record / a source meant it to go
ERROR_PARTITION = "samflyt.error.partition"
ERROR_OFFSET = "samflyt.error.offset"
# a dead letter without the record's bytes (the broker refused them): their size and why
ERROR_VALUE_DROPPED = "samflyt.error.value-dropped"


def get_header(headers: Iterable[tuple[str, bytes]], name: str) -> str | None:
    """The last value of header ``name`` decoded as UTF-8, or ``None`` when absent."""
    found: str | None = None
    for key, value in headers:
        if key == name:
            found = value.decode("utf-8", errors="replace")
    return found


def with_header(headers: Headers, name: str, value: str) -> Headers:
    """A copy of ``headers`` with ``name`` set to ``value`` (replacing earlier values)."""
    return (*((k, v) for k, v in headers if k != name), (name, value.encode("utf-8")))
