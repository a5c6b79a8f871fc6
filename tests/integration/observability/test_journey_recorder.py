"""The journey recorder on the real broker and database: it resumes from its own commits after
a restart, and a rebalance of its consumer group in the middle of a stream loses no row."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from types import SimpleNamespace
from typing import Any

import asyncpg
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from schemas.codec import default_codec
from streams import harness
from streams.admin import ensure_topics
from streams.db import create_pool
from streams.journey.recorder import SOURCES, JourneyRecorder, group_id
from streams.pipeline import build_pipeline
from streams.principals import OPERATOR, WORKER
from streams.settings import Settings
from streams.synthetic import build_world, scenario_traffic
from tests.integration.observability.run import settings_for, start, wait_journey
from tests.unit.avro.samples import records


async def _committed(settings: Settings) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(**settings.kafka(OPERATOR).options())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_id(settings))
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


async def _committed_up_to_the_end(
    settings: Settings, deadline_s: float = 30.0
) -> dict[TopicPartition, int]:
    """The end offsets of the journey's topics, once the group has committed up to them."""
    deadline = time.monotonic() + deadline_s
    while True:
        ends = await harness.snapshot(settings, SOURCES)
        committed = await _committed(settings)
        if all(committed.get(tp, 0) >= end for tp, end in ends.items()):
            return ends
        assert time.monotonic() < deadline, (committed, ends)
        await asyncio.sleep(0.5)


def _inputs(items: list[Any]) -> list[tuple[str, str, bytes]]:
    return [(i.expected.msg_id, i.expected.msg_type, i.data) for i in items]


def _valid_ids(items: list[Any]) -> list[str]:
    return sorted(
        {
            i.expected.msg_id.lower()
            for i in items
            if not i.expected.dead_letter and not i.expected.duplicate_of
        }
    )


def test_after_a_restart_the_journey_resumes_from_its_commits(
    kafka_bootstrap: str, database_url: str, topic_prefixes: list[str]
) -> None:
    world = build_world(seed=1, scale="small")
    first, second = (list(scenario_traffic(world, seed=seed)) for seed in (5151, 5152))
    settings = settings_for(kafka_bootstrap, database_url, topic_prefixes, metrics_port=0)

    async def go() -> None:
        pool = await create_pool(settings)
        try:
            pipeline = await start(settings, world)
            try:
                await harness.produce(settings, _inputs(first))
                await wait_journey(pool, _valid_ids(first))
                ends = await _committed_up_to_the_end(settings)
            finally:
                await pipeline.app.stop()
            assert pipeline.counts["journey.rows"] > 0
            committed = await _committed(settings)
            assert all(committed.get(tp, 0) >= end for tp, end in ends.items()), (committed, ends)

            again = build_pipeline(settings, web_port=0)
            await again.app.start()
            try:
                await harness.produce(settings, _inputs(second))
                await wait_journey(pool, _valid_ids(second))
            finally:
                await again.app.stop()
            # the restarted recorder read on from the commit, not the whole history again
            assert 0 < again.counts["journey.rows"] < pipeline.counts["journey.rows"] * 1.5
            ids = _valid_ids(first) + _valid_ids(second)
            steps = await pool.fetch(
                "SELECT DISTINCT message_id FROM message_journey"
                " WHERE message_id = ANY($1::text[])",
                ids,
            )
            assert {r["message_id"] for r in steps} == set(ids)
        finally:
            await pool.close()

    asyncio.run(go())


WAVES, WAVE = 10, 300


def _decision(message_id: str) -> dict[str, Any]:
    return {**records()["Decision"], "decision_id": uuid.uuid4(), "message_id": message_id}


async def _recorded(pool: asyncpg.Pool, ids: list[str], deadline_s: float) -> int:
    end = time.monotonic() + deadline_s
    have = 0
    while time.monotonic() < end:
        have = await pool.fetchval(
            "SELECT count(DISTINCT message_id) FROM message_journey"
            " WHERE message_id = ANY($1::text[])",
            ids,
        )
        if have >= len(ids):
            break
        await asyncio.sleep(0.2)
    return int(have)


async def test_a_rebalance_mid_stream_loses_no_journey_row(settings: Settings) -> None:
    """Two recorders share the group: a second one joins while batches are in hand, then the
    first one leaves. Every record is recorded, and the group's commits reach the end."""
    await ensure_topics(settings)
    shared: dict[str, Any] = {"settings": settings, "codec": default_codec()}
    first = JourneyRecorder(SimpleNamespace(**shared, counts=Counter()))
    second = JourneyRecorder(SimpleNamespace(**shared, counts=Counter()))
    codec = shared["codec"]
    ids = [f"rebalance-{uuid.uuid4()}" for _ in range(WAVES * WAVE)]
    producer = harness.producer_for(settings, WORKER)  # decisions are the pipeline's to write
    await producer.start()
    pool = await create_pool(settings)
    try:
        await first.start()
        for wave in range(WAVES):  # ~1 s apart: a group change takes a heartbeat or two
            sends = [
                await producer.send(
                    settings.topic("decisions"),
                    codec.encode("Decision", _decision(message_id)),
                    key=message_id.encode(),
                )
                for message_id in ids[wave * WAVE : (wave + 1) * WAVE]
            ]
            await asyncio.gather(*sends)
            if wave == 1:
                await second.start()  # joins: the partitions are shared
            if wave == WAVES - 3:
                await first.stop()  # leaves: the second one takes them all
            await asyncio.sleep(1.0)
        assert await _recorded(pool, ids, deadline_s=60) == len(ids)
        await _committed_up_to_the_end(settings)  # the second one's commits reach the end
        assert first.pipeline.counts["journey.rows"] + second.pipeline.counts["journey.rows"] >= (
            len(ids)
        )
    finally:
        await first.stop()
        await second.stop()
        await producer.stop()
        await pool.close()
