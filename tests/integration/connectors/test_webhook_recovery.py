"""A national-service webhook whose endpoint answers 5xx for a while delivers everything, once,
when it recovers; meanwhile a healthy destination is not held back."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from connectors.kafka_security import KafkaConnection
from connectors.runner import run
from connectors.sdk import headers
from connectors.sdk.testing import HttpEndpoint
from connectors.sinks.webhook import WebhookConfig, WebhookSink
from tests.integration.connectors.helpers import produce, read_topic, wait_for

pytestmark = pytest.mark.integration


async def test_endpoint_down_for_a_while_then_everything_delivered_once(
    kafka: KafkaConnection, make_topic
) -> None:
    topic, dlq = await make_topic("delivery.national"), await make_topic("deadletter")
    ids = [f"wh-{uuid.uuid4()}" for _ in range(25)]
    await produce(
        kafka,
        topic,
        [
            (
                b"4711",
                f"<delivery n='{i}'/>".encode(),
                headers.with_header((), headers.MESSAGE_ID, mid),
            )
            for i, mid in enumerate(ids)
        ],
    )
    flaky, healthy = await HttpEndpoint().start(), await HttpEndpoint().start()
    flaky.status = 503
    sink = WebhookSink(
        WebhookConfig.model_validate(
            {
                "topics": [topic],
                "dead_letter_topic": dlq,
                "group_id": f"test-{uuid.uuid4().hex}",
                "batch_size": 10,
                "retry": {"initial_delay": 0.05, "max_delay": 0.3},
                "destinations": [
                    {"name": "flaky", "url": flaky.url},
                    {"name": "healthy", "url": healthy.url},
                ],
            }
        )
    )
    stop = asyncio.Event()
    task = asyncio.ensure_future(
        run(sink, kafka=kafka, database_url=None, stop=stop)
    )
    try:
        await wait_for(
            lambda: sum(healthy.received.values()) >= len(ids), 60, "the healthy destination"
        )
        # the healthy destination does not wait for the flaky one, so the flaky one may have been
        # tried only once by now: wait for its retries, while it is still down
        await wait_for(lambda: flaky.calls > 2, 30, "retries of the flaky destination")
        assert not flaky.received
        flaky.status = 200
        await wait_for(
            lambda: sum(flaky.received.values()) >= len(ids), 60, "the recovered destination"
        )
        await asyncio.sleep(0.5)  # anything delivered twice would show up now
    finally:
        stop.set()
        await task
        await flaky.stop()
        await healthy.stop()
    for endpoint in (flaky, healthy):
        assert sorted(endpoint.received) == sorted(ids)
        assert set(endpoint.received.values()) == {1}
    assert await read_topic(kafka, dlq) == []
