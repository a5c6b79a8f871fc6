"""A record that no agent processed never becomes safe to commit (issue 4): faust-streaming
acks events its streams skip during a rebalance; samflyt's app releases them without recording
their offsets, so they are read again from the committed offset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from streams.app import create_app
from streams.settings import load_settings

TOPIC = "samflyt.raw.epj"


@pytest_asyncio.fixture
async def consumer() -> AsyncIterator[Any]:
    """Built inside the running loop, so the app's consumer binds to it (nothing connects)."""
    app = create_app(load_settings(app_id="samflyt-ack-test", worker_web_port=0))
    app.topics.acking_topics.add(TOPIC)  # as when an agent subscribes to the topic
    app.consumer_generation_id = 3
    app.flow_control.resume()
    consumer: Any = app.consumer
    yield consumer
    consumer._thread.thread_loop.close()  # the consumer thread's loop, never started


def _message(offset: int, generation_id: int) -> ConsumerMessage:
    return ConsumerMessage(
        TOPIC, 0, offset, 0.0, 0, None, b"k", b"v", None, generation_id=generation_id
    )


def _recorded(consumer: Any) -> list[int]:
    return list(consumer._acked[TP(TOPIC, 0)])


async def test_a_processed_record_of_the_current_generation_is_safe_to_commit(
    consumer: Any,
) -> None:
    message = _message(7, generation_id=3)
    consumer._unacked_messages.add(message)
    assert consumer.ack(message) is True
    assert _recorded(consumer) == [7]
    assert message not in consumer._unacked_messages


async def test_a_record_acked_while_a_rebalance_suspends_the_flow_is_read_again(
    consumer: Any,
) -> None:
    consumer.app.flow_control.suspend()
    message = _message(8, generation_id=3)
    consumer._unacked_messages.add(message)
    assert consumer.ack(message) is False
    assert _recorded(consumer) == []  # the commit cannot move past it
    assert message.acked and message not in consumer._unacked_messages  # nothing waits for it


async def test_a_record_fetched_in_an_older_generation_is_read_again(consumer: Any) -> None:
    message = _message(9, generation_id=2)
    assert consumer.ack(message) is False
    assert _recorded(consumer) == []
    later = _message(10, generation_id=3)
    assert consumer.ack(later) is True
    assert _recorded(consumer) == [10]
