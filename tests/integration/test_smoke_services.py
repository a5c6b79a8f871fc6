"""The ground everything stands on: real Kafka, a real Faust worker, real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from connectors.kafka_security import KafkaConnection
from streams.app import create_app
from streams.db import MigrationError, migrate
from streams.principals import ADMIN
from streams.settings import Settings
from tests.integration.services import PrivateKafka


async def _consume(
    kafka: KafkaConnection, topic: str, n: int, timeout: float = 30.0
) -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]]:
    consumer = AIOKafkaConsumer(
        topic,
        **kafka.options(),
        auto_offset_reset="earliest",
        group_id=f"g-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    got = []
    try:
        async with asyncio.timeout(timeout):
            while len(got) < n:
                msg = await consumer.getone()
                got.append((msg.key, msg.value, list(msg.headers)))
    finally:
        await consumer.stop()
    return got


async def test_aiokafka_round_trip_keeps_key_value_and_headers(
    kafka: KafkaConnection, make_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await make_topic("roundtrip")
    producer = AIOKafkaProducer(
        **kafka.options(),
        acks="all",
        enable_idempotence=True,
        compression_type="lz4",
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, b"<MsgHead/>", key=b"id-1", headers=[("traceparent", b"00-abc-def-01")]
        )
    finally:
        await producer.stop()
    [(key, value, headers)] = await _consume(kafka, topic, 1)
    assert (key, value) == (b"id-1", b"<MsgHead/>")
    assert ("traceparent", b"00-abc-def-01") in headers


async def test_faust_agent_processes_event_from_one_topic_to_another(
    settings: Settings, make_topic: Callable[..., Awaitable[str]]
) -> None:
    source_name, sink_name = await make_topic("in"), await make_topic("out")
    settings = settings.model_copy(update={"kafka_sasl_username": ADMIN})  # topics of its own
    app = create_app(settings, web_port=0)
    source, sink = app.topic(source_name), app.topic(sink_name)

    @app.agent(source)
    async def shout(stream):  # type: ignore[no-untyped-def]
        async for event in stream.events():
            await sink.send(key=event.key, value=event.value.upper())

    await app.start()
    try:
        producer = AIOKafkaProducer(**settings.kafka(ADMIN).options())
        await producer.start()
        await producer.send_and_wait(source_name, b"hei", key=b"k1")
        await producer.stop()
        [(key, value, _)] = await _consume(settings.kafka(ADMIN), sink_name, 1, timeout=60)
    finally:
        await app.stop()
    assert (key, value) == (b"k1", b"HEI")


async def test_migrations_are_applied_once_and_rows_persist(
    db: asyncpg.Connection, owner_db: asyncpg.Connection, settings: Settings
) -> None:
    applied = {r["name"] for r in await db.fetch("SELECT name FROM schema_migrations")}
    assert "0001_journey.sql" in applied
    assert await migrate(owner_db, settings.migrations_dir) == []  # applied: nothing to do
    message_id = str(uuid.uuid4())
    await db.execute(
        "INSERT INTO message_journey (message_id, step, stage) VALUES ($1, 'received', 'test')",
        message_id,
    )
    assert (
        await db.fetchval("SELECT step FROM message_journey WHERE message_id = $1", message_id)
        == "received"
    )


async def test_a_database_migrated_by_a_newer_release_is_refused(
    owner_db: asyncpg.Connection, settings: Settings, tmp_path: Path
) -> None:
    files = sorted(settings.migrations_dir.glob("*.sql"))
    for path in files[:-1]:  # an older release: it lacks the newest migration
        (tmp_path / path.name).write_bytes(path.read_bytes())
    with pytest.raises(MigrationError, match=files[-1].name):
        await migrate(owner_db, tmp_path)
    assert await migrate(owner_db, settings.migrations_dir) == []  # the current release runs


@pytest.mark.slow
async def test_broker_keeps_messages_across_a_restart(tmp_path: Path) -> None:
    broker = PrivateKafka(tmp_path / "state")
    await asyncio.to_thread(broker.run, "start")
    try:
        admin = AIOKafkaAdminClient(**broker.admin().options())
        await admin.start()
        await admin.create_topics([NewTopic("restart", 1, 1)])
        await admin.close()
        producer = AIOKafkaProducer(**broker.admin().options(), acks="all")
        await producer.start()
        await producer.send_and_wait("restart", b"before restart", key=b"k")
        await producer.stop()
        await asyncio.to_thread(broker.run, "stop")
        await asyncio.to_thread(broker.run, "start")
        [(_, value, _)] = await _consume(broker.admin(), "restart", 1, timeout=60)
        assert value == b"before restart"
    finally:
        await asyncio.to_thread(broker.run, "stop")
