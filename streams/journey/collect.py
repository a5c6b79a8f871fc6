"""Records read from the pipeline's topics → journey rows and dead-letter rows (pure).

The recorder reads with the sinks' batch reader, so what arrives here are the SDK's
:class:`~connectors.sdk.records.Record`: value, headers, the partition it was read from (its
``position``) and the time it was written to Kafka (``timestamp``, UTC).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from connectors.kafka import read_from
from connectors.sdk.records import Record
from schemas.catalogue import CANONICAL_EVENT
from schemas.codec import Codec
from streams.journey.provenance import attempt_of
from streams.journey.rows import JourneyRow, journey_id_of_dead_letter, rows_for
from streams.journey.store import DeadLetterRow
from streams.metrics import DEAD_LETTERS, JOURNEY_ROWS, RECEIPTS
from streams.telemetry import first_traceparent, trace_id_of

__all__ = ["collect", "decode_record"]

log = logging.getLogger(__name__)


def collect(
    codec: Codec, canonical_topic: str, records: Iterable[Record]
) -> tuple[list[JourneyRow], list[DeadLetterRow]]:
    """The rows of ``records`` and the dead letters among them (``canonical_topic``: the full
    name of ``canonical.events``, whose envelope is enough). Counts dead letters and receipts."""
    rows: list[JourneyRow] = []
    dead: list[DeadLetterRow] = []
    for item in records:
        topic = read_from(item).topic
        try:
            name, record = decode_record(codec, item.value, topic == canonical_topic)
        except Exception:  # an undecodable record is the producer's bug: log, don't stop
            JOURNEY_ROWS.labels("undecodable").inc()
            log.error("journey: undecodable record", extra={"topic": topic})
            continue
        traceparent = first_traceparent(item.headers) or (record.get("trace") or {}).get(
            "traceparent"
        )
        trace_id = trace_id_of(traceparent)
        written_at = item.timestamp or datetime.now(UTC)
        mapped = rows_for(name, record, trace_id=trace_id, written_at=written_at)
        attempt = attempt_of(item.headers)
        if attempt and mapped:  # rows about other messages (answered, AppRec) keep theirs
            subject = mapped[0].message_id
            mapped = [
                dataclasses.replace(r, attempt=attempt) if r.message_id == subject else r
                for r in mapped
            ]
        rows += mapped
        short = name.rsplit(".", 1)[-1]
        if short == "DeadLetter":
            DEAD_LETTERS.labels(record.get("stage", "OTHER"), record.get("reason", "OTHER")).inc()
            dead.append(_dead_letter_row(record, trace_id))
        elif short == "Receipt":
            RECEIPTS.labels((record.get("info") or {}).get("status", "UNKNOWN")).inc()
    return rows, dead


def decode_record(codec: Codec, value: bytes, is_event: bool) -> tuple[str, dict[str, Any]]:
    """A canonical event's envelope is enough for its rows, except for an AppRec's (the
    receipt row reads the payload): the payload was most of the journey's decoding."""
    if is_event:
        head = codec.decode_head(CANONICAL_EVENT, value, "payload")
        if head.get("msg_type") != "APPREC":
            return CANONICAL_EVENT, head
    return codec.decode(value)


def _dead_letter_row(r: dict[str, Any], trace_id: str | None) -> DeadLetterRow:
    origin = r.get("origin") or {}
    headers = [
        [h["key"], base64.b64encode(bytes(h["value"] or b"")).decode("ascii")]
        for h in origin.get("headers") or ()
    ]
    return (
        r["dead_letter_id"],
        r["failed_at"],
        r["stage"],
        r["reason"],
        r.get("reason_code"),
        r.get("detail") or "",
        r.get("message_id"),
        journey_id_of_dead_letter(r),
        r.get("msg_type"),
        r.get("sender_her_id"),
        origin.get("topic") or "",
        origin.get("partition"),
        origin.get("offset"),
        origin.get("key"),
        json.dumps(headers),
        bytes(r.get("original") or b""),
        trace_id,
    )
