"""Drive the pipeline from outside, as connectors and subscribers would: produce raw messages
to the ingest topics, and read back what came out. Used by the demo, the integration tests and
the benchmarks, so all three measure the same thing the same way.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from connectors.kafka_security import start_client
from connectors.sdk import MAX_RECORD_BYTES
from connectors.sdk.headers import CONNECTOR, MESSAGE_ID, RECEIVED_AT, TRACEPARENT
from schemas.codec import Codec, default_codec
from streams.admin import partitions_of
from streams.principals import OPERATOR, connector_principal_of
from streams.settings import Settings
from streams.topics import BY_NAME, CATALOGUE

OUTPUT_TOPICS = (
    *(t.name for t in CATALOGUE if t.name.startswith("delivery.")),
    "deadletter",
    "receipts",
    "overdue",
    "decisions",
)


def raw_topic_for(msg_type: str) -> str:
    """Which ingest topic a message of this type arrives on, as the built-in connectors do."""
    if msg_type.startswith(("SVAR_", "REQ_")):
        return "raw.labresults"
    if msg_type.startswith("SAMFLYT_KJ_"):
        return "raw.kjernejournal"
    if msg_type.startswith(("SAMFLYT_BESOK", "DIALOG_INNBYGGER")):
        return "raw.citizen"
    if msg_type == "SAMFLYT_ALARM":
        return "raw.welfare"
    return "raw.epj"


def new_traceparent() -> str:
    return f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"


def producer_for(settings: Settings, principal: str = OPERATOR) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **settings.kafka(principal).options(),
        acks="all",
        enable_idempotence=True,
        linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_max_batch_bytes,
        compression_type=settings.compression_type,
        max_request_size=MAX_RECORD_BYTES,
    )


async def produce(
    settings: Settings,
    inputs: Iterable[tuple[str, str, bytes] | tuple[str, str, bytes, str]],
    producer: AIOKafkaProducer | None = None,
) -> dict[str, float]:
    """Send (message id, message type, bytes[, key]) to the ingest topics; returns send times
    by id. Connectors key by the sender's HER-id (per-sender order); without a key, the
    message id is used. Without ``producer``, each raw topic is written as its connector's
    principal, as the connectors do (the broker lets nobody else write it)."""
    if producer is not None:
        return await _produce(settings, list(inputs), producer)
    by_topic: dict[str, list[tuple[str, str, bytes] | tuple[str, str, bytes, str]]] = {}
    for item in inputs:
        by_topic.setdefault(raw_topic_for(item[1]), []).append(item)
    sent: dict[str, float] = {}
    for topic, items in by_topic.items():
        owner = connector_principal_of(BY_NAME[topic])
        own = producer_for(settings, owner or OPERATOR)
        await start_client(own, settings.kafka(owner or OPERATOR))
        try:
            sent.update(await _produce(settings, items, own))
        finally:
            await own.stop()
    return sent


async def _produce(
    settings: Settings,
    inputs: Iterable[tuple[str, str, bytes] | tuple[str, str, bytes, str]],
    producer: AIOKafkaProducer,
) -> dict[str, float]:
    sent: dict[str, float] = {}
    futures = []
    for message_id, msg_type, data, *key in inputs:
        sent[message_id] = time.time()
        headers = [
            (TRACEPARENT, new_traceparent().encode()),
            (CONNECTOR, b"samflyt-harness"),
            (MESSAGE_ID, message_id.encode()),
            (RECEIVED_AT, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()).encode()),
        ]
        futures.append(
            await producer.send(
                settings.topic(raw_topic_for(msg_type)),
                data,
                key=(key[0] if key else message_id).encode(),
                headers=headers,
            )
        )
    await asyncio.gather(*futures)
    return sent


@dataclass
class Outputs:
    """Everything the pipeline wrote to its output topics since the snapshot."""

    deliveries: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    overdue: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def delivered_message_ids(self) -> set[str]:
        return {content_message_id(d) for _, d, _ in self.deliveries} - {""}


def content_message_id(delivery: dict[str, Any]) -> str:
    name, content = delivery["content"]
    if name.endswith("CanonicalEvent"):
        return str(content["message_id"])
    if name.endswith("Receipt"):
        return "apprec:" + str(content["info"]["original"]["message_id"])
    return "overdue:" + str(content["request_message_id"])


async def snapshot(
    settings: Settings, names: Sequence[str] = OUTPUT_TOPICS
) -> dict[TopicPartition, int]:
    """The current end offset of every partition of the output topics."""
    consumer = AIOKafkaConsumer(
        **settings.kafka(OPERATOR).options(),
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
    await start_client(consumer, settings.kafka(OPERATOR))
    try:
        return dict(await consumer.end_offsets(partitions_of(settings, names)))
    finally:
        await consumer.stop()


async def collect(
    settings: Settings,
    start: dict[TopicPartition, int],
    *,
    until: Callable[[Outputs], bool],
    deadline_s: float = 60.0,
    quiet_s: float = 1.0,
    codec: Codec | None = None,
) -> Outputs:
    """Read committed output from ``start`` until ``until(outputs)`` holds and nothing more
    arrived for ``quiet_s`` (so duplicates would be seen), or the deadline passes."""
    codec = codec or default_codec()
    out = Outputs()
    consumer = AIOKafkaConsumer(
        **settings.kafka(OPERATOR).options(),
        isolation_level="read_committed",
        enable_auto_commit=False,
        max_poll_records=2000,
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
    )
    await start_client(consumer, settings.kafka(OPERATOR))
    prefix = settings.topic_prefix
    try:
        consumer.assign(list(start))
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        end = time.monotonic() + deadline_s
        last_new = time.monotonic()
        while time.monotonic() < end:
            batch = await consumer.getmany(timeout_ms=200)
            now = time.time()
            for tp, records in batch.items():
                name = tp.topic[len(prefix) :]
                for r in records:
                    _file(out, name, codec.decode(r.value)[1], now)
            if batch:
                last_new = time.monotonic()
            # checked after every poll, so ``quiet_s=0`` stops as soon as ``until`` holds, even
            # while records keep arriving (a test that disrupts a worker mid-stream needs that)
            if until(out) and time.monotonic() - last_new >= quiet_s:
                break
    finally:
        await consumer.stop()
    return out


def _file(out: Outputs, topic: str, record: dict[str, Any], seen_at: float) -> None:
    if topic.startswith("delivery."):
        out.deliveries.append((topic, record, seen_at))
    elif topic == "deadletter":
        out.dead_letters.append(record)
    elif topic == "receipts":
        out.receipts.append(record)
    elif topic == "overdue":
        out.overdue.append(record)
    elif topic == "decisions":
        out.decisions.append(record)
