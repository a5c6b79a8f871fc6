"""Agent: deliver overdue notices back to the sender of the original request, and the AppRecs
that could not be delivered when they were made (their sender was not in the address register).

An AppRec is delivered by the validate stage that makes it (:func:`send_back`), which spares
every message a hop; the ones it could not deliver come here through ``receipts.undelivered``,
are tried once more and otherwise dead-lettered from this topic, so a replay once the sender is
registered comes back to this agent."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from streams.agents.guard import dead_letter_of, guarded
from streams.metrics import mark, observe
from streams.pipeline import Pipeline
from streams.stages.route import OVERDUE, RECEIPT
from streams.stages.senders import back_to_sender
from streams.telemetry import forward_headers

log = logging.getLogger(__name__)


def register(p: Pipeline) -> None:
    settings = p.settings
    source = p.app.topic(settings.topic("receipts.undelivered"), settings.topic("overdue"))
    undelivered = settings.topic("receipts.undelivered")

    @p.app.agent(source, name="deliver_to_senders")
    async def deliver_to_senders(stream: Any) -> None:
        async def handle(event: Any) -> None:
            with observe("to_sender", event.message.timestamp):
                await _deliver(p, event, event.message.topic == undelivered)

        await guarded(p, stream, "RECEIPT", handle)


async def _deliver(p: Pipeline, event: Any, is_receipt: bool) -> None:
    now = datetime.now(UTC)
    if is_receipt:
        content = p.codec.decode_as("Receipt", event.value)
        name, content_id, sender = RECEIPT, content["receipt_id"], content["receiver"]["her_id"]
    else:
        content = p.codec.decode_as("Overdue", event.value)
        name, content_id, sender = OVERDUE, content["overdue_id"], content["sender"]["her_id"]
    mark("APPREC" if is_receipt else "OVERDUE", None, sender)
    headers = forward_headers(event.message.headers or ())
    # the consumed receipt or notice bytes are spliced into the Delivery, not re-encoded
    if not await send_back(p, name, content, content_id, sender, event.value, headers, now):
        p.counts["senders.unknown"] += 1
        await p.send(
            "deadletter",
            None,
            p.codec.encode(
                "DeadLetter",
                dead_letter_of(
                    event,
                    stage="RECEIPT",
                    reason="UNKNOWN_RECEIVER",
                    code="E21",
                    retriable=True,
                    detail=f"the original sender {sender} is not in the address register",
                    sender_her_id=sender,
                ),
            ),
            headers,
        )
        return
    p.counts["senders.receipts" if is_receipt else "senders.overdue"] += 1


async def send_back(
    p: Pipeline,
    name: str,
    content: dict[str, Any],
    content_id: Any,
    sender: str | None,
    encoded: bytes,
    headers: list[tuple[str, bytes]],
    now: datetime,
) -> bool:
    """Deliver a Receipt or Overdue record (``encoded``: its framed bytes, spliced into the
    Delivery) to the original sender; False when the sender is not in the address register."""
    delivery = back_to_sender(
        name, content, content_id, sender, is_test=content["is_test"], view=p.feed.view, now=now
    )
    if delivery is None:
        return False
    fields = {k: v for k, v in delivery.record.items() if k != "content"}
    await p.send(delivery.topic, delivery.key, p.codec.wrap("Delivery", fields, encoded), headers)
    return True
