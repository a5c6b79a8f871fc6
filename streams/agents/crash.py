"""The dead letter of a message an agent could not process because of an unexpected error."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from streams.pipeline import Pipeline, traceparent_of


async def crash_dead_letter(p: Pipeline, event: Any, *, stage: str) -> None:
    message = event.message
    error = sys.exc_info()[1]
    record = {
        "dead_letter_id": uuid.uuid4(),
        "failed_at": datetime.now(UTC),
        "stage": stage,
        "reason": "PROCESSING_ERROR",
        "reason_code": "X99",
        "detail": f"unexpected {type(error).__name__} while processing (see worker log)",
        "error_type": type(error).__name__ if error else None,
        "retriable": True,
        "attempt": 1,
        "message_id": None,
        "msg_type": None,
        "sender_her_id": None,
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
    p.counts[f"crash.{stage}"] += 1
    await p.send("deadletter", None, p.codec.encode("DeadLetter", record))
