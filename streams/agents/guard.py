"""What every agent shares: the per-event guard that keeps one bad message from stopping an
agent (a crashed Faust agent leaves a dead consumer behind), and the dead letter of a consumed
record that could not be processed."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from streams.journey.provenance import provenance
from streams.pipeline import Pipeline, traceparent_of
from streams.telemetry import trace_headers

log = logging.getLogger(__name__)


async def guarded(
    p: Pipeline, stream: Any, stage: str, handle: Callable[[Any], Awaitable[None]]
) -> None:
    """Run ``handle`` for every event once the registry is loaded; an unexpected exception
    dead-letters that event (original bytes kept for replay) and the stream flows on."""
    await p.feed.ready.wait()
    async for event in stream.events():
        try:
            await handle(event)
        except Exception:
            log.exception("agent failed on a message; dead-lettered", extra={"stage": stage})
            await crash_dead_letter(p, event, stage=stage)


def dead_letter_of(
    event: Any,
    *,
    stage: str,
    reason: str,
    code: str,
    detail: str,
    retriable: bool,
    error_type: str | None = None,
    sender_her_id: str | None = None,
) -> dict[str, Any]:
    """The ``DeadLetter`` record of a consumed record, with its origin and original bytes."""
    message = event.message
    return {
        "dead_letter_id": uuid.uuid4(),
        "failed_at": datetime.now(UTC),
        "stage": stage,
        "reason": reason,
        "reason_code": code,
        "detail": detail,
        "error_type": error_type,
        "retriable": retriable,
        "attempt": 1,
        "message_id": None,
        "msg_type": None,
        "sender_her_id": sender_her_id,
        "original": event.value if isinstance(event.value, bytes) else b"",
        "origin": {
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "timestamp": None,
            "key": message.key,
            "headers": [{"key": k, "value": v} for k, v in (message.headers or ())],
        },
        "trace": {"traceparent": traceparent_of(event), "tracestate": None},
    }


async def crash_dead_letter(p: Pipeline, event: Any, *, stage: str) -> None:
    error = sys.exc_info()[1]
    name = type(error).__name__ if error else None
    record = dead_letter_of(
        event,
        stage=stage,
        reason="PROCESSING_ERROR",
        code="X99",
        retriable=True,
        detail=f"unexpected {name} while processing (see worker log)",
        error_type=name,
    )
    p.counts[f"crash.{stage}"] += 1
    # the trace and replay provenance travel on, as on the stages' own dead letters
    headers = trace_headers(traceparent_of(event)) + provenance(event.message.headers)
    try:
        await p.send("deadletter", None, p.codec.encode("DeadLetter", record), headers)
    except Exception as exc:  # e.g. refused as too large: the origin still points at the bytes
        log.error(
            "dead letter refused; sent again without the original bytes",
            extra={"stage": stage, "error": type(exc).__name__},
        )
        size = len(record["original"])
        record["original"] = b""
        record["detail"] += f"; the original ({size} bytes) is not carried: {type(exc).__name__}"
        await p.send("deadletter", None, p.codec.encode("DeadLetter", record), headers)
