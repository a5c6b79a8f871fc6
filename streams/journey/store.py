"""Write journey rows (and the dead-letter store) to PostgreSQL in batches.

Idempotent: the unique index of ``message_journey`` and ``ON CONFLICT DO NOTHING`` make a
redelivered batch a no-op. Database trouble is retried with backoff and never dead-letters a
message: the transaction log is an observer of the pipeline, not a stage of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from streams.journey.rows import JourneyRow
from streams.metrics import JOURNEY_ROWS

__all__ = [
    "RETRY_CAP_S",
    "DeadLetterRow",
    "insert_dead_letters",
    "insert_rows",
    "link_quoted_answers",
    "with_retry",
]

log = logging.getLogger(__name__)
# the longest wait between two attempts: the log is current within about this much of the
# database's return (doubling up to 30 s, the recorder sat idle ~21 s after an outage)
RETRY_CAP_S = 2.0

_INSERT = """
INSERT INTO message_journey (message_id, step, at, stage, msg_type, sender_her_id,
    recipient_her_id, reason, conversation_id, patient_key, trace_id, attempt, detail,
    recipient_key)
SELECT r.message_id, r.step, r.at, r.stage, r.msg_type, r.sender, r.recipient, r.reason,
    r.conversation_id, r.patient_key, r.trace_id,
    coalesce(r.attempt, 1),
    r.detail::jsonb, r.recipient_key
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int[],
            $13::text[], $14::text[])
    AS r(message_id, step, at, stage, msg_type, sender, recipient, reason, conversation_id,
         patient_key, trace_id, attempt, detail, recipient_key)
ON CONFLICT DO NOTHING
"""

# (dead_letter_id, failed_at, stage, reason, reason_code, detail, message_id, journey_id,
#  msg_type, sender_her_id, origin_topic, origin_partition, origin_offset, origin_key,
#  origin_headers (json), original, trace_id)
DeadLetterRow = tuple[Any, ...]

_INSERT_DEAD = """
INSERT INTO dead_letters (dead_letter_id, failed_at, stage, reason, reason_code, detail,
    message_id, journey_id, msg_type, sender_her_id, origin_topic, origin_partition,
    origin_offset, origin_key, origin_headers, original, trace_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17)
ON CONFLICT (dead_letter_id) DO NOTHING
"""


# The question's 'answered' step for an answer that quotes its DokIdForesp (see
# streams.journey.rows._question_keys), as the rows of an answer with a ConversationRef have it.
_LINK_QUOTED_ANSWERS = """
INSERT INTO message_journey (message_id, step, at, stage, recipient_her_id, conversation_id,
    patient_key, trace_id, attempt, detail)
SELECT q.message_id, 'answered', a.at, 'route', a.sender_her_id, a.conversation_id,
    a.patient_key, a.trace_id, 1,
    jsonb_build_object('answer_message_id', a.message_id, 'answer_msg_type', a.msg_type,
                       'matched_by', 'DokIdForesp')
FROM message_journey q
JOIN message_journey a
    ON a.step = 'validated' AND a.detail ? 'answers_question'
    AND a.detail->>'answers_question' = q.detail->>'question_key'
WHERE q.step = 'validated' AND q.detail ? 'question_key'
    AND q.detail->>'question_key' = ANY($1::text[])
ON CONFLICT DO NOTHING
"""


_LINK_LOCK = 0x5A4D_0A5E  # advisory lock class of the question keys being linked


def _columns(rows: Sequence[JourneyRow]) -> list[list[Any]]:
    return [
        [r.message_id for r in rows],
        [r.step for r in rows],
        [r.at for r in rows],
        [r.stage for r in rows],
        [r.msg_type for r in rows],
        [r.sender_her_id for r in rows],
        [r.recipient_her_id for r in rows],
        [r.reason for r in rows],
        [r.conversation_id for r in rows],
        [r.patient_key for r in rows],
        [r.trace_id for r in rows],
        [r.attempt for r in rows],
        [json.dumps(r.detail, default=str) for r in rows],
        [r.recipient_key for r in rows],
    ]


_REFUSED = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)


async def insert_rows(conn: asyncpg.Connection, rows: Sequence[JourneyRow]) -> None:
    """Insert the rows in one statement; a row the database refuses (a bug, not an outage) is
    dropped with a log line after the batch is retried row by row.

    Each attempt runs in a savepoint: in PostgreSQL a refused statement fails the whole
    transaction, and without one every later statement of the batch (and its commit) failed
    too, so the recorder read the same batch again for ever."""
    if not rows:
        return
    try:
        async with conn.transaction():
            await conn.execute(_INSERT, *_columns(rows))
            await link_quoted_answers(conn, rows)
        JOURNEY_ROWS.labels("written").inc(len(rows))
    except _REFUSED:
        for row in rows:
            try:
                async with conn.transaction():
                    await conn.execute(_INSERT, *_columns([row]))
                    await link_quoted_answers(conn, [row])
                JOURNEY_ROWS.labels("written").inc()
            except _REFUSED as exc:
                JOURNEY_ROWS.labels("dropped").inc()
                log.error(
                    "journey row refused by the database",
                    extra={"step": row.step, "error": type(exc).__name__},
                )


async def link_quoted_answers(conn: asyncpg.Connection, rows: Sequence[JourneyRow]) -> None:
    """Give each question of ``rows``, and each question an answer of ``rows`` quotes, the
    ``answered`` step of its answers that quote its DokIdForesp (idempotent). Runs inside the
    transaction that inserts ``rows``."""
    keys = sorted(
        {
            key
            for row in rows
            if row.step == "validated"
            for key in (row.detail.get("question_key"), row.detail.get("answers_question"))
            if key
        }
    )
    if not keys:
        return
    # Two recorders may write a question and its answer at the same time, each in a
    # transaction the other's join cannot see: the key's lock, held to the commit, makes the
    # second wait and then see the first's rows (in sorted order: no deadlock between them).
    for key in keys:
        await conn.execute("SELECT pg_advisory_xact_lock($1::int, hashtext($2))", _LINK_LOCK, key)
    await conn.execute(_LINK_QUOTED_ANSWERS, keys)


async def insert_dead_letters(conn: asyncpg.Connection, rows: Sequence[DeadLetterRow]) -> None:
    """As :func:`insert_rows`: a dead letter the database refuses is left out, with a log line
    (it is still on the dead-letter topic), instead of failing the batch for ever."""
    if not rows:
        return
    try:
        async with conn.transaction():
            await conn.executemany(_INSERT_DEAD, rows)
    except _REFUSED:
        for row in rows:
            try:
                async with conn.transaction():
                    await conn.execute(_INSERT_DEAD, *row)
            except _REFUSED as exc:
                log.error(
                    "dead letter refused by the database; it stays on the dead-letter topic",
                    extra={"dead_letter_id": str(row[0]), "error": type(exc).__name__},
                )


_RETRIABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.AdminShutdownError,
)


async def with_retry(
    action: Callable[[], Awaitable[None]],
    *,
    first_delay: float = 0.2,
    max_delay: float = RETRY_CAP_S,
    should_stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Run ``action`` until it succeeds, backing off on database outages (doubling from
    ``first_delay`` up to ``max_delay``); False if stopped."""
    delay = first_delay
    while True:
        try:
            await action()
            return True
        except _RETRIABLE as exc:
            if should_stop():
                return False
            log.warning(
                "transaction log write failed; retrying",
                extra={"error": type(exc).__name__, "retry_in_s": round(delay, 2)},
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
