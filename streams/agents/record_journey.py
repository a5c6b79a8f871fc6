"""Agent: record every message's journey in the PostgreSQL transaction log (and keep dead letters
for ``samflyt dlq``). Reads what the other stages wrote; sends nothing."""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg

from schemas.catalogue import CANONICAL_EVENT
from streams.db import create_pool
from streams.journey.provenance import attempt_of
from streams.journey.rows import JourneyRow, journey_id_of_dead_letter, rows_for
from streams.journey.store import DeadLetterRow, insert_dead_letters, insert_rows, with_retry
from streams.metrics import DEAD_LETTERS, JOURNEY_ROWS, RECEIPTS
from streams.pipeline import Pipeline
from streams.telemetry import first_traceparent, trace_id_of

log = logging.getLogger(__name__)
SOURCES = ("canonical.events", "decisions", "deadletter", "receipts", "overdue")
BATCH = 500
WITHIN_S = 0.5


def register(p: Pipeline) -> None:
    source = p.app.topic(*(p.settings.topic(name) for name in SOURCES))

    @p.app.agent(source, name="record_journey")
    async def record_journey(stream: Any) -> None:
        pool: asyncpg.Pool | None = None
        try:
            async for events in stream.take_events(BATCH, within=WITHIN_S):
                rows, dead = collect(p, events)
                if pool is None:
                    pool = await _pool(p)

                write = functools.partial(_write, pool, rows, dead)
                if not await with_retry(write, should_stop=lambda: p.app.should_stop):
                    return
                p.counts["journey.rows"] += len(rows)
        finally:
            if pool is not None:
                await pool.close()


async def _write(pool: asyncpg.Pool, rows: list[JourneyRow], dead: list[DeadLetterRow]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await insert_rows(conn, rows)
        await insert_dead_letters(conn, dead)


async def _pool(p: Pipeline) -> asyncpg.Pool:
    holder: list[asyncpg.Pool] = []

    async def connect() -> None:
        holder.append(await create_pool(p.settings, min_size=1, max_size=2))

    await with_retry(connect, should_stop=lambda: p.app.should_stop)
    if not holder:
        raise RuntimeError("stopped before the transaction log could connect")
    return holder[0]


def collect(p: Pipeline, events: Any) -> tuple[list[JourneyRow], list[DeadLetterRow]]:
    rows: list[JourneyRow] = []
    dead: list[DeadLetterRow] = []
    canonical = p.settings.topic("canonical.events")
    for event in events:
        message = event.message
        try:
            name, record = decode_record(p, event.value, message.topic == canonical)
        except Exception:  # an undecodable record is the producer's bug: log, don't stop
            JOURNEY_ROWS.labels("undecodable").inc()
            log.error("journey: undecodable record", extra={"topic": message.topic})
            continue
        traceparent = first_traceparent(message.headers) or (record.get("trace") or {}).get(
            "traceparent"
        )
        trace_id = trace_id_of(traceparent)
        written_at = (
            datetime.fromtimestamp(message.timestamp, UTC)
            if message.timestamp
            else datetime.now(UTC)
        )
        mapped = rows_for(name, record, trace_id=trace_id, written_at=written_at)
        attempt = attempt_of(message.headers)
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


def decode_record(p: Pipeline, value: bytes, is_event: bool) -> tuple[str, dict[str, Any]]:
    """A canonical event's envelope is enough for its rows, except for an AppRec's (the
    receipt row reads the payload): the payload was most of the journey's decoding."""
    if is_event:
        head = p.codec.decode_head(CANONICAL_EVENT, value, "payload")
        if head.get("msg_type") != "APPREC":
            return CANONICAL_EVENT, head
    return p.codec.decode(value)


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
