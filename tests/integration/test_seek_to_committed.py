"""After a rebalance every partition goes back to its committed offset, also one its group
never committed (issue 4): aiokafka leaves such a partition where the fetcher was, so records
fetched during the change were skipped on a fresh deployment."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.faust_patches import _seek_to_committed_or_reset
from streams.principals import ADMIN
from streams.settings import Settings

pytestmark = pytest.mark.integration


def _thread(consumer: AIOKafkaConsumer, reset: str = "earliest") -> SimpleNamespace:
    """The parts of Faust's consumer thread the seek uses, around a real aiokafka consumer."""
    return SimpleNamespace(
        _ensure_consumer=lambda: consumer,
        consumer=SimpleNamespace(_is_changelog_tp=lambda tp: tp.topic.endswith("-changelog")),
        app=SimpleNamespace(conf=SimpleNamespace(consumer_auto_offset_reset=reset)),
    )


async def test_partitions_never_committed_go_back_to_the_start_and_committed_ones_to_their_offset(
    settings: Settings, make_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await make_topic("seek", partitions=2)
    producer = AIOKafkaProducer(**settings.kafka(ADMIN).options())  # a topic of its own
    await producer.start()
    try:
        for partition in (0, 1):
            for i in range(5):
                await producer.send_and_wait(topic, f"{i}".encode(), partition=partition)
    finally:
        await producer.stop()
    never, committed = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer = AIOKafkaConsumer(
        **settings.kafka(ADMIN).options(),
        group_id=f"seek-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign([never, committed])
        await consumer.seek_to_beginning(never, committed)
        while sum(len(r) for r in (await consumer.getmany(timeout_ms=1000)).values()):
            pass  # fetch everything: the positions move to the end
        await consumer.commit({committed: 2})
        assert await consumer.position(never) == 5

        offsets = await _seek_to_committed_or_reset(_thread(consumer))

        assert offsets == {never: None, committed: 2}
        assert await consumer.position(never) == 0  # aiokafka alone leaves it at 5
        assert await consumer.position(committed) == 2
    finally:
        await consumer.stop()
