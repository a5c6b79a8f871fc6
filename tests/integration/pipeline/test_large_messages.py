"""Messages of several megabytes (health messages with attachments) flow through the real
broker like any other: Kafka's default record limit is 1 MB, and samflyt's producers,
consumers and topics are sized for a whole message with what travels with it."""

from __future__ import annotations

import asyncio

import pytest

from connectors.sdk import MAX_MESSAGE_BYTES
from streams import harness
from streams.synthetic import build_world, traffic
from tests.integration.pipeline.run import prepare, run_pipeline, settings_for

pytestmark = pytest.mark.integration
SIZE = 3 * 1024 * 1024


def test_messages_of_several_megabytes_are_delivered_whole(
    kafka_bootstrap: str, database_url: str, topic_prefixes: list[str]
) -> None:
    world = build_world(seed=1, scale="small")
    items = [  # the types the generator pads to the size: results, dialogue, PLO, core journal
        i
        for i in traffic(world, seed=11, count=12, target_size=SIZE)
        if not i.expected.dead_letter and i.expected.recipients and len(i.data) > SIZE * 0.9
    ][:3]
    assert len(items) == 3 and all(len(i.data) < MAX_MESSAGE_BYTES for i in items)
    settings = settings_for(kafka_bootstrap, database_url, topic_prefixes)
    wanted = {i.expected.msg_id.lower(): i for i in items}

    def delivered(out: harness.Outputs) -> set[str]:
        return {harness.content_message_id(d) for _, d, _ in out.deliveries} & set(wanted)

    async def go() -> harness.Outputs:
        await prepare(settings, world)
        outputs, _ = await run_pipeline(
            settings, items, until=lambda o: delivered(o) == set(wanted), deadline_s=120
        )
        return outputs

    out = asyncio.run(go())
    assert delivered(out) == set(wanted) and not out.dead_letters
    for _, delivery, _ in out.deliveries:
        message_id = harness.content_message_id(delivery)
        if message_id in wanted:  # the original travels whole in every delivery
            original = delivery["content"][1]["original"]["content"]
            assert original == wanted[message_id].data
