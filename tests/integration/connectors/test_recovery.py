"""The read-back that resolves claims a crash left pending, against the real broker and
database: a claim whose message reached the topic is marked published (and never sent again),
one that did not is forgotten (and sent again)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from functools import partial
from typing import ClassVar

import asyncpg
import pytest

from connectors.kafka import KafkaPublisher, find_published
from connectors.kafka_security import KafkaConnection
from connectors.positions import PgPositionStore, claim_id
from connectors.sdk import Record, Source, SourceConfig, headers
from connectors.source_runner import SourceRunner
from tests.integration.connectors.helpers import message_ids, produce, read_topic

pytestmark = pytest.mark.integration


class Replay(Source[SourceConfig]):
    """Offers the same records again, as a source does after a crash."""

    name: ClassVar[str] = "replay-" + uuid.uuid4().hex[:8]
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[SourceConfig]] = SourceConfig
    records: ClassVar[list[Record]] = []

    async def on_start(self, committed: Mapping[str, str]) -> None:
        self.committed: list[Record] = []

    async def poll(self, max_records: int) -> Sequence[Record]:
        return list(self.records)

    async def commit(self, records: Sequence[Record]) -> None:
        self.committed.extend(records)


async def test_pending_claims_are_resolved_by_reading_the_topic_back(
    kafka: KafkaConnection, database_url: str, make_topic
) -> None:
    topic = await make_topic("raw.recovery")
    arrived, lost = f"arrived-{uuid.uuid4()}", f"lost-{uuid.uuid4()}"
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    publisher = KafkaPublisher(kafka, client_id="test-recovery")
    await publisher.start()
    try:
        store = PgPositionStore(pool)
        # the crashed run: both claimed, only one reached the broker, nothing committed
        claims = [(claim_id(m.encode(), m), topic) for m in (arrived, lost)]
        await store.claim(Replay.name, [(c, t) for c, t in claims if c is not None])
        await produce(
            kafka,
            topic,
            [(arrived.encode(), b"<a/>", headers.with_header((), headers.MESSAGE_ID, arrived))],
        )

        Replay.records = [
            Record(b"<a/>", key=arrived.encode(), message_id=arrived),
            Record(b"<l/>", key=lost.encode(), message_id=lost),
        ]
        runner = SourceRunner(
            Replay(SourceConfig(topic=topic)),
            publisher,
            store,
            recover=partial(find_published, publisher),
        )
        await runner.recover()
        assert await store.pending(Replay.name) == []
        await runner.source.start({})
        await runner.process(await runner.source.poll(10))
        assert len(runner.source.committed) == 2  # both acknowledged upstream
    finally:
        await publisher.stop()
        await pool.close()
    assert sorted(message_ids(await read_topic(kafka, topic))) == sorted([arrived, lost])
