"""Helpers for the connector integration tests: read a topic back, wait for a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from connectors.kafka import KafkaPublisher
from connectors.kafka_security import KafkaConnection
from connectors.sdk import headers


async def read_topic(kafka: KafkaConnection, topic: str) -> list[Any]:
    """Every committed record of ``topic`` from the beginning to its current end."""
    publisher = KafkaPublisher(kafka, client_id="test-reader")
    await publisher.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await publisher.partitions(topic))]
    finally:
        await publisher.stop()
    consumer = AIOKafkaConsumer(
        **kafka.options(), enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out: list[Any] = []
        todo = {tp for tp in partitions if ends[tp] > 0}
        deadline = time.monotonic() + 30
        while todo and time.monotonic() < deadline:
            batch = await consumer.getmany(*todo, timeout_ms=500)
            for tp, messages in batch.items():
                out.extend(messages)
                if messages and messages[-1].offset + 1 >= ends[tp]:
                    todo.discard(tp)
        return out
    finally:
        await consumer.stop()


def message_ids(records: list[Any]) -> list[str]:
    return [headers.get_header(r.headers, headers.MESSAGE_ID) or "" for r in records]


async def produce(
    kafka: KafkaConnection, topic: str, items: list[tuple[bytes, bytes, headers.Headers]]
) -> None:
    producer = AIOKafkaProducer(**kafka.options(), acks="all")
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value, key=key, headers=list(hs)) for key, value, hs in items
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
