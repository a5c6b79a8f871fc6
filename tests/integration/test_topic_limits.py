"""Topics that exist before samflyt starts keep their settings, and get a record limit that
takes a whole message: at Kafka's default of 1 MB the broker would refuse large messages that
every producer accepts."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from connectors.sdk import MAX_RECORD_BYTES
from streams.admin import ensure_topics
from streams.principals import ADMIN
from streams.settings import Settings
from streams.topics import TopicSpec

pytestmark = pytest.mark.integration


async def _configs(admin: AIOKafkaAdminClient, name: str) -> dict[str, str]:
    for _ in range(50):  # a just-created topic may not be known to describe yet
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
        error_code, _, _, _, entries = response.resources[0]
        if not error_code:
            return {e[0]: e[1] for e in entries}
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} never described")


def test_an_existing_topic_gets_a_whole_message_limit_and_keeps_its_settings(
    settings: Settings,
) -> None:
    spec = TopicSpec(
        name="preexisting", key="", value_schema=None, doc="test", readers=(), compacted=True
    )
    name = settings.topic(spec.name)

    async def go() -> tuple[dict[str, str], dict[str, str], list[str]]:
        admin = AIOKafkaAdminClient(**settings.kafka(ADMIN).options())
        await admin.start()
        try:  # as an older release or an operator created it, with Kafka's default limit
            # (the local broker's own default is raised, so it is set on the topic here)
            await admin.create_topics(
                [
                    NewTopic(
                        name,
                        1,
                        1,
                        topic_configs={
                            "cleanup.policy": "compact",
                            "retention.ms": "86400000",
                            "max.message.bytes": "1048588",
                        },
                    )
                ]
            )
            before = await _configs(admin, name)
            created = await ensure_topics(settings, [spec], principal=ADMIN)
            # twice: nothing more to do
            created += await ensure_topics(settings, [spec], principal=ADMIN)
            return before, await _configs(admin, name), created
        finally:
            await admin.close()

    before, after, created = asyncio.run(go())
    assert int(before["max.message.bytes"]) < MAX_RECORD_BYTES
    assert created == []
    assert int(after["max.message.bytes"]) == MAX_RECORD_BYTES
    assert after["cleanup.policy"] == "compact" and after["retention.ms"] == "86400000"
