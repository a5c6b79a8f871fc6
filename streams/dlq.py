"""``samflyt dlq``: list, show and replay dead letters from the dead-letter store.

Replay re-injects the *original bytes* (and headers) to the topic the input was first read from,
stamped with provenance headers (``samflyt.replay-of`` = the dead letter's id, ``samflyt.attempt``
= the attempt number). Before it sends, the replay writes a ``replayed`` step to the journey, so
the pipeline's rows for the new attempt are filed under that attempt, and an audit entry.
Showing a dead letter prints message content, so it is audited too.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from opentelemetry import trace

from connectors.sdk.headers import TRACEPARENT
from connectors.sdk.tracing import new_traceparent
from schemas.errors import SamflytError
from streams import audit
from streams.audit_anchor import anchor_new
from streams.harness import producer_for
from streams.journey.provenance import ATTEMPT, REPLAY_OF
from streams.settings import Settings
from streams.telemetry import instrumented, setup_tracing
from streams.text import aligned, norwegian_time

__all__ = [
    "ATTEMPT",
    "LIST_HEADER",
    "REPLAY_OF",
    "DeadLetterNotFound",
    "Replayed",
    "format_list",
    "list_dead",
    "replay",
    "show",
]

_LIST_COLUMNS = (
    "dead_letter_id, failed_at, stage, reason, reason_code, detail, journey_id, msg_type, "
    "sender_her_id, origin_topic, replays, last_replayed_at"
)
# whom it was addressed to: its journey knows (the envelope's receiver, or the connector's header)
_RECEIVER = (
    "(SELECT j.recipient_her_id FROM message_journey j WHERE j.message_id = d.journey_id"
    " AND j.step IN ('received', 'deadlettered') AND j.recipient_her_id IS NOT NULL"
    " ORDER BY j.at LIMIT 1) AS recipient_her_id"
)
# --reason / --filter: the reason (INVALID_PATIENT) or the code (E31, a connector's bad-alarm)
_MATCHES = "(reason = $1 OR reason_code = $1)"


class DeadLetterNotFound(SamflytError):
    """No dead letter with that id."""

    retriable = False


async def list_dead(
    conn: asyncpg.Connection, *, reason: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Newest first; metadata only (no content), so not audited. ``reason`` matches the
    reason or the code."""
    rows = await conn.fetch(
        f"SELECT {_LIST_COLUMNS}, {_RECEIVER} FROM dead_letters d"
        f" WHERE ($1::text IS NULL OR {_MATCHES}) ORDER BY failed_at DESC LIMIT $2",
        reason,
        limit,
    )
    return [dict(r) for r in rows]


LIST_HEADER = (
    "dead letter", "failed (Norwegian time)", "stage", "reason", "code", "type", "sender",
    "receiver", "message", "replays",
)  # fmt: skip


def format_list(rows: list[dict[str, Any]]) -> str:
    """The rows of :func:`list_dead` as a table with a header line."""
    table = [LIST_HEADER] + [
        (
            str(r["dead_letter_id"]),
            norwegian_time(r["failed_at"]),
            str(r["stage"]),
            str(r["reason"]),
            r["reason_code"] or "-",
            r["msg_type"] or "-",
            r["sender_her_id"] or "-",
            r.get("recipient_her_id") or "-",
            str(r["journey_id"]),
            str(r["replays"]),
        )
        for r in rows
    ]
    return "\n".join(aligned(table, left=len(LIST_HEADER) - 1))


async def show(
    settings: Settings, conn: asyncpg.Connection, dead_letter_id: str, *, why: str
) -> dict[str, Any]:
    """One dead letter with its original content; the read is audited (and anchored) first."""
    why = audit.reason_text(why)
    row = await _fetch(conn, dead_letter_id)
    before, _ = await audit.head(conn)
    await audit.append(
        conn,
        key=_audit_key(settings),
        action="dlq.show",
        reason=why,
        message_id=row["journey_id"],
        target=str(row["dead_letter_id"]),
    )
    await anchor_new(settings, conn, before)
    out = dict(row)
    out["original"] = bytes(row["original"]).decode("utf-8", errors="replace")
    out["origin_key"] = (
        bytes(row["origin_key"]).decode("utf-8", "replace") if row["origin_key"] else None
    )
    out["origin_headers"] = [
        [k, base64.b64decode(v).decode("utf-8", "replace")]
        for k, v in json.loads(row["origin_headers"])
    ]
    return out


def _audit_key(settings: Settings) -> bytes:
    return settings.audit_key.get_secret_value().encode()


async def _fetch(conn: asyncpg.Connection, dead_letter_id: str) -> asyncpg.Record:
    try:
        key = uuid.UUID(dead_letter_id)
    except ValueError:
        raise DeadLetterNotFound(f"not a dead-letter id: {dead_letter_id}") from None
    row = await conn.fetchrow("SELECT * FROM dead_letters WHERE dead_letter_id = $1", key)
    if row is None:
        raise DeadLetterNotFound(f"no dead letter {dead_letter_id}")
    return row


@dataclass(frozen=True, slots=True)
class Replayed:
    dead_letter_id: str
    message_id: str
    topic: str
    attempt: int


async def replay(
    settings: Settings,
    conn: asyncpg.Connection,
    *,
    ids: list[str] | None = None,
    reason: str | None = None,
    why: str,
) -> list[Replayed]:
    """Replay the dead letters named by ``ids``, or every not-yet-replayed one with ``reason``
    (its reason or its code).

    Replays running at the same time do not send a dead letter twice under ``--filter``: each
    row is locked while it is sent and marked, and one another replay marked meanwhile is
    skipped. Named ids are replayed again on purpose, as asked."""
    why = audit.reason_text(why)
    if ids:
        rows = [await _fetch(conn, i) for i in ids]
    else:
        rows = list(
            await conn.fetch(
                f"SELECT * FROM dead_letters WHERE {_MATCHES} AND replays = 0 ORDER BY failed_at",
                reason,
            )
        )
    setup_tracing("samflyt-cli")
    producer = producer_for(settings)
    await producer.start()
    before, _ = await audit.head(conn)
    done: list[Replayed] = []
    tracer = trace.get_tracer("samflyt")
    try:
        for row in rows:

            async def send(attempt: int, row: asyncpg.Record = row) -> None:
                await producer.send_and_wait(
                    row["origin_topic"],
                    bytes(row["original"]),
                    key=bytes(row["origin_key"]) if row["origin_key"] is not None else None,
                    headers=_headers(row, attempt),
                )

            with tracer.start_as_current_span("samflyt.dlq.replay"):
                attempt = await _record(
                    conn, row, why, send, _audit_key(settings), unreplayed_only=not ids
                )
            if attempt is None:
                continue  # another replay took it meanwhile
            done.append(
                Replayed(
                    str(row["dead_letter_id"]), row["journey_id"], row["origin_topic"], attempt
                )
            )
    finally:
        await producer.stop()
        await anchor_new(settings, conn, before)
    return done


async def _record(
    conn: asyncpg.Connection,
    row: asyncpg.Record,
    why: str,
    send: Callable[[int], Awaitable[None]],
    key: bytes,
    *,
    unreplayed_only: bool = False,
) -> int | None:
    """Send the replay, then its journey step, audit entry and replay count, in one transaction;
    returns the attempt. A send that fails leaves nothing marked (the dead letter counted as
    replayed and ``--filter`` never took it again); a commit that fails after the send leaves
    it unmarked, and a second replay is recognised by the validate stage as a duplicate.

    The row stays locked until the marks commit; with ``unreplayed_only`` a row another replay
    marked meanwhile is left alone (None)."""
    async with conn.transaction():
        replays = await conn.fetchval(
            "SELECT replays FROM dead_letters WHERE dead_letter_id = $1 FOR UPDATE",
            row["dead_letter_id"],
        )
        if unreplayed_only and replays != 0:
            return None
        last = await conn.fetchval(
            "SELECT max(attempt) FROM message_journey WHERE message_id = $1", row["journey_id"]
        )
        attempt = int(last or 1) + 1
        await send(attempt)
        who = audit.actor()
        await conn.execute(
            "INSERT INTO message_journey (message_id, step, at, stage, msg_type, sender_her_id,"
            " reason, trace_id, attempt, detail) VALUES ($1, 'replayed', $2, 'dlq', $3, $4, $5,"
            " $6, $7, $8::jsonb)",
            row["journey_id"],
            datetime.now(UTC),
            row["msg_type"],
            row["sender_her_id"],
            why,
            _current_trace_id(),
            attempt,
            json.dumps({"dead_letter_id": str(row["dead_letter_id"]), "actor": who}),
        )
        await audit.append(
            conn,
            key=key,
            action="dlq.replay",
            reason=why,
            message_id=row["journey_id"],
            target=str(row["dead_letter_id"]),
            detail={"attempt": attempt, "topic": row["origin_topic"]},
            who=who,
        )
        await conn.execute(
            "UPDATE dead_letters SET replays = replays + 1, last_replayed_at = now()"
            " WHERE dead_letter_id = $1",
            row["dead_letter_id"],
        )
    return attempt


def _headers(row: asyncpg.Record, attempt: int) -> list[tuple[str, bytes]]:
    dropped = {TRACEPARENT, REPLAY_OF, ATTEMPT}
    headers = [
        (k, base64.b64decode(v)) for k, v in json.loads(row["origin_headers"]) if k not in dropped
    ]
    headers += [(REPLAY_OF, str(row["dead_letter_id"]).encode()), (ATTEMPT, str(attempt).encode())]
    if not instrumented():  # else the send instrumentation injects the replay span's context
        headers.append((TRACEPARENT, new_traceparent().encode()))
    return headers


def _current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return f"{ctx.trace_id:032x}" if ctx.is_valid else None
