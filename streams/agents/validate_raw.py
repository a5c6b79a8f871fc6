"""Agent: validate and normalise raw messages from every source (stage 1)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from streams.agents.deliver_to_senders import send_back
from streams.agents.guard import guarded
from streams.journey.provenance import provenance
from streams.metrics import count_sender_not_permitted, mark, observe
from streams.pipeline import Pipeline, traceparent_of
from streams.stages.dedup import DedupWindow
from streams.stages.route import RECEIPT
from streams.stages.validate import Accepted, Origin, Rejected, SenderNotBound, validate
from streams.telemetry import trace_headers

log = logging.getLogger(__name__)


def register(p: Pipeline) -> None:
    seen = DedupWindow(p.tables["seen"], p.settings.dedup_window.total_seconds())

    @p.app.agent(p.topic("raw"), name="validate_raw")
    async def validate_raw(stream: Any) -> None:
        async def handle(event: Any) -> None:
            with observe("validate", event.message.timestamp):
                await _handle(p, seen, event)
            forgotten = seen.forget_expired(event.message.partition, time.time())
            p.counts["validate.dedup_expired"] += forgotten

        await guarded(p, stream, "VALIDATE", handle)

    @p.app.on_partitions_assigned.connect
    async def reindex_seen(*args: Any, **kwargs: Any) -> None:
        seen.reset()


async def _handle(p: Pipeline, seen: DedupWindow, event: Any) -> None:
    message = event.message
    traceparent = traceparent_of(event)
    origin = Origin(
        message.topic,
        message.partition,
        message.offset,
        datetime.fromtimestamp(message.timestamp, UTC) if message.timestamp else None,
        message.key,
        list(message.headers or ()),
    )
    result = validate(
        event.value,
        origin=origin,
        registry=p.feed.view,
        patient_key=p.patient_key,
        limits=p.limits,
        reject_unknown_receiver=p.settings.reject_unknown_receiver,
        test_environment=p.settings.test_environment,
        traceparent=traceparent,
        bindings=p.bindings,
    )
    headers = trace_headers(traceparent) + provenance(message.headers)
    # a sender the topic may not carry is dead-lettered even when it reuses an id seen before:
    # a forgery is evidence, never dropped as a duplicate
    refused = isinstance(result, Rejected) and isinstance(result.error, SenderNotBound)
    if refused:
        count_sender_not_permitted(message.topic.removeprefix(p.settings.topic_prefix))
    if result.parsed is not None:
        parsed = result.parsed
        mark(parsed.msg_type, parsed.sender.her_id, parsed.receiver.her_id)
        dedup_key = f"{parsed.sender.her_id}:{parsed.message_id}"
        # the record this id was first accepted from: the same record consumed again (a
        # redelivery after a crash or rebalance, before its offset was committed) is processed
        # again — its outputs carry deterministic ids — while the same id in another record is
        # a duplicate from the sender
        this_record = f"{message.topic}:{message.partition}:{message.offset}"
        first = seen.first_record(dedup_key)
        if first is not None and first != this_record and not refused:
            p.counts["validate.duplicate"] += 1
            return  # a duplicate gets neither a second delivery nor a second AppRec
    now = datetime.now(UTC)
    for receipt in result.receipts:
        sender, encoded = receipt["receiver"]["her_id"], p.codec.encode("Receipt", receipt)
        await p.send("receipts", sender, encoded, headers)
        receipt_id = receipt["receipt_id"]
        if await send_back(p, RECEIPT, receipt, receipt_id, sender, encoded, headers, now):
            p.counts["senders.receipts"] += 1
        else:  # tried again, and dead-lettered when still unknown, by deliver_to_senders
            await p.send("receipts.undelivered", sender, encoded, headers)
    if isinstance(result, Accepted):
        p.counts["validate.accepted"] += 1
        key = result.patient_key or result.parsed.message_id
        await p.send(
            "canonical.events", key, p.codec.encode("CanonicalEvent", result.event), headers
        )
        # remembered once its outputs are sent, and only when accepted: a message whose
        # handling failed (dead-lettered as X99), or that was rejected and then fixed (e.g.
        # its receiver registered), is processed again when replayed from the dead letters
        seen.remember(dedup_key, this_record, message.partition, time.time())
    else:
        p.counts[f"validate.rejected.{result.dead_letter['reason']}"] += 1
        await p.send(
            "deadletter",
            result.dead_letter["message_id"],
            p.codec.encode("DeadLetter", result.dead_letter),
            headers,
        )
