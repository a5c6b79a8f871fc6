"""Agent: deliver AppRecs and overdue notices back to the sender of the original message."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from streams.metrics import mark, observe
from streams.pipeline import Pipeline, traceparent_of
from streams.stages.route import OVERDUE, RECEIPT
from streams.stages.senders import back_to_sender
from streams.telemetry import forward_headers

log = logging.getLogger(__name__)


def register(p: Pipeline) -> None:
    settings = p.settings
    source = p.app.topic(settings.topic("receipts"), settings.topic("overdue"))
    receipts_topic = settings.topic("receipts")

    @p.app.agent(source, name="deliver_to_senders")
    async def deliver_to_senders(stream: Any) -> None:
        await p.feed.ready.wait()
        async for event in stream.events():
            try:
                with observe("to_sender", event.message.timestamp):
                    await _deliver(p, event, event.message.topic == receipts_topic)
            except Exception:  # a poison message must not stop the agent
                log.exception("deliver_to_senders failed on a message; dead-lettered")
                from streams.agents.crash import crash_dead_letter

                await crash_dead_letter(p, event, stage="RECEIPT")


async def _deliver(p: Pipeline, event: Any, is_receipt: bool) -> None:
    now = datetime.now(UTC)
    if is_receipt:
        content = p.codec.decode_as("Receipt", event.value)
        name, content_id, sender = RECEIPT, content["receipt_id"], content["receiver"]["her_id"]
    else:
        content = p.codec.decode_as("Overdue", event.value)
        name, content_id, sender = OVERDUE, content["overdue_id"], content["sender"]["her_id"]
    mark("APPREC" if is_receipt else "OVERDUE", None, sender)
    delivery = back_to_sender(
        name, content, content_id, sender, is_test=content["is_test"], view=p.feed.view, now=now
    )
    headers = forward_headers(event.message.headers or ())
    if delivery is None:
        p.counts["senders.unknown"] += 1
        await p.send(
            "deadletter",
            None,
            p.codec.encode("DeadLetter", _unknown_sender(event, sender, now)),
            headers,
        )
        return
    await p.send(delivery.topic, delivery.key, p.codec.encode("Delivery", delivery.record), headers)
    p.counts["senders.receipts" if is_receipt else "senders.overdue"] += 1


def _unknown_sender(event: Any, sender: str | None, now: datetime) -> dict[str, Any]:
    message = event.message
    return {
        "dead_letter_id": uuid.uuid4(),
        "failed_at": now,
        "stage": "RECEIPT",
        "reason": "UNKNOWN_RECEIVER",
        "reason_code": "E21",
        "detail": f"the original sender {sender} is not in the address register",
        "error_type": None,
        "retriable": True,
        "attempt": 1,
        "message_id": None,
        "msg_type": None,
        "sender_her_id": sender,
        "original": event.value,
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
