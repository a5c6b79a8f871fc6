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
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from connectors.kafka import read_from
from connectors.sdk import headers as h
from connectors.sdk.records import Record
from schemas.catalogue import CANONICAL_EVENT
from schemas.codec import Codec
from streams.journey.provenance import attempt_of
from streams.journey.rows import JourneyRow, journey_id_of_dead_letter, rows_for
from streams.journey.store import DeadLetterRow
from streams.metrics import DEAD_LETTERS, JOURNEY_ROWS, RECEIPTS
from streams.stages.validate import REASON_OF_CODE
from streams.telemetry import first_traceparent, trace_id_of

__all__ = ["collect", "connector_dead_letter", "decode_record", "delivery_confirmation"]

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
            if item.header(h.ERROR_STAGE) is not None:  # a connector's: raw bytes and headers
                name, record = DEAD_LETTER, connector_dead_letter(item)
            elif item.header(h.SINK_LANE) is not None:  # a sink's: headers only
                name, record = CONFIRMATION, delivery_confirmation(item)
            else:
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


DEAD_LETTER = "no.samflyt.deadletter.DeadLetter"
CONFIRMATION = "DeliveryConfirmation"  # not an Avro record: a sink's headers (connectors)


def delivery_confirmation(item: Record) -> dict[str, Any]:
    """A sink's confirmation of a routed delivery (:mod:`connectors._confirmation`) as the
    record its journey row is made from; written when the confirmation was."""
    message_id = item.header(h.MESSAGE_ID)
    return {
        "message_id": message_id.strip().lower() if message_id else None,
        "delivery_id": item.header(h.DELIVERY_ID),
        "msg_type": item.header(h.MESSAGE_TYPE),
        "recipient_her_id": item.header(h.RECIPIENT_HER_ID),
        "recipient_key": item.header(h.RECIPIENT_KEY),
        "patient_key": item.header(h.PATIENT_KEY),
        "connector": item.header(h.CONNECTOR),
        "lane": item.header(h.SINK_LANE),
        "topic": read_from(item).topic,
        "delivered_at": item.timestamp,
    }
_CONNECTOR_LETTERS = uuid.UUID("3f9d3c1e-8a51-5b7e-9c2d-6e4f1a0b8d27")
_STAGE_OF_CONNECTOR = {"source": "INGEST", "publish": "INGEST", "sink": "DELIVER"}


def connector_dead_letter(item: Record) -> dict[str, Any]:
    """A connector's dead letter (the record's bytes, ``samflyt.error.*`` headers) as the
    pipeline's ``DeadLetter`` record, so ``samflyt dlq`` lists, shows and replays it too: a
    source's to the topic it was meant for, a sink's to the delivery topic it was read from.
    Its id follows from where it lies on the topic, so reading it again changes nothing."""
    where = read_from(item)  # raises for a record without a position
    assert item.position is not None
    stage = item.header(h.ERROR_STAGE) or "source"
    code = item.header(h.ERROR_CODE) or ""
    reason = "DELIVERY_FAILED" if stage == "sink" else REASON_OF_CODE.get(code, "OTHER")
    partition, offset = item.header(h.ERROR_PARTITION), item.header(h.ERROR_OFFSET)
    message_id = item.header(h.MESSAGE_ID)
    return {
        "dead_letter_id": uuid.uuid5(
            _CONNECTOR_LETTERS, f"{where.topic}:{where.partition}:{item.position.offset}"
        ),
        "failed_at": item.timestamp or datetime.now(UTC),
        "stage": _STAGE_OF_CONNECTOR.get(stage, "OTHER"),
        "reason": reason,
        # an AppRec code (T01, E21) or the connector's own (BadRecordError(code=…)), so an SRE
        # sees it and can filter on it
        "reason_code": code[:64] or None,
        "detail": f"{item.header(h.ERROR_CONNECTOR) or 'connector'} ({stage}): "
        + (item.header(h.ERROR_REASON) or code or "failed"),
        "message_id": message_id.strip().lower() if message_id else None,
        "msg_type": item.header(h.MESSAGE_TYPE),
        "sender_her_id": item.header(h.SENDER_HER_ID),
        "original": item.value or b"",
        "origin": {
            "topic": item.header(h.ERROR_TOPIC) or "",
            "partition": int(partition) if partition and partition.isdigit() else None,
            "offset": int(offset) if offset and offset.isdigit() else None,
            "timestamp": None,
            "key": item.key,
            "headers": [
                {"key": k, "value": v}
                for k, v in item.headers
                if not k.startswith("samflyt.error.")
            ],
        },
    }


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
