"""The Kafka baseline: raw aiokafka produce → consume of the same bytes through the same broker,
tuned as PERFORMANCE.md says (1 MB batches, short linger, compressed, futures awaited in bulk).
The ceiling for any Python pipeline on this machine.

Compression is the pipeline's own (``producer_compression``, zstd by default); the run also
measures lz4, because aiokafka compresses lz4 at level 9 (LZ4HC, ~85 MB/s on health XML), which
made lz4 the most expensive part of a raw producer here."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.principals import ADMIN
from streams.settings import Settings


@dataclass
class KafkaResult:
    messages: int
    bytes_in: int
    produce_s: float
    consume_s: float

    @property
    def produce_msgs_per_s(self) -> float:
        return self.messages / self.produce_s

    @property
    def consume_msgs_per_s(self) -> float:
        return self.messages / self.consume_s


async def run_kafka_baseline(
    settings: Settings,
    payloads: Sequence[bytes],
    *,
    partitions: int = 4,
    linger_ms: int = 10,
    compression: str | None = None,
) -> KafkaResult:
    topic = settings.topic(f"baseline.{uuid.uuid4().hex[:6]}")
    admin = AIOKafkaAdminClient(**settings.kafka(ADMIN).options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, settings.replication_factor)])
        producer = AIOKafkaProducer(
            **settings.kafka(ADMIN).options(),
            acks="all",
            enable_idempotence=True,
            linger_ms=linger_ms,
            max_batch_size=1_048_576,
            compression_type=compression,
        )
        await producer.start()
        try:
            started = time.perf_counter()
            futures = [await producer.send(topic, p, key=str(i).encode()) for i, p in
                       enumerate(payloads)]  # fmt: skip
            await asyncio.gather(*futures)
            produce_s = time.perf_counter() - started
        finally:
            await producer.stop()
        consume_s = await _consume_all(settings, topic, len(payloads))
    finally:
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()
    return KafkaResult(len(payloads), sum(len(p) for p in payloads), produce_s, consume_s)


async def _consume_all(settings: Settings, topic: str, count: int) -> float:
    consumer = AIOKafkaConsumer(
        topic,
        **settings.kafka(ADMIN).options(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1_048_576,
        fetch_max_bytes=32 * 1_048_576,
        max_poll_records=5000,
    )
    await consumer.start()
    try:
        seen = 0
        started = time.perf_counter()
        deadline = time.monotonic() + 120
        while seen < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen += len(records)
        if seen < count:
            raise RuntimeError(f"Kafka baseline: consumed {seen} of {count}")
        return time.perf_counter() - started
    finally:
        await consumer.stop()
