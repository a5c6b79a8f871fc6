"""``samflyt demo``: run samflyt over the bundled sample messages on the configured services.

Until the full pipeline lands, the demo proves the round trip the platform stands on: messages
are produced to the EPJ raw topic, consumed by a Faust agent, and recorded in the PostgreSQL
transaction log; the demo then reads the log back and prints what happened.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaProducer

from streams.admin import ensure_topics
from streams.app import create_app
from streams.db import create_pool, migrate_database
from streams.settings import Settings

DEMO_MESSAGES = 20


async def run_demo(settings: Settings, *, timeout: float = 60.0) -> int:
    print(f"kafka      {settings.kafka_bootstrap}")
    migrations = await migrate_database(settings)
    print(f"postgres   migrations applied now: {len(migrations)}")
    created = await ensure_topics(settings)
    print(f"topics     created now: {len(created)}")

    run_id = uuid.uuid4().hex[:8]
    pool = await create_pool(settings)
    app = create_app(settings, app_id=f"{settings.app_id}-demo", web_port=0)
    raw = app.topic(settings.topic("raw.epj"))

    @app.agent(raw)
    async def record_received(stream):  # type: ignore[no-untyped-def]
        async for event in stream.events():
            message_id = (event.key or b"").decode()
            await pool.execute(
                "INSERT INTO message_journey (message_id, step, stage) VALUES ($1, 'received', "
                "'demo') ON CONFLICT DO NOTHING",
                message_id,
            )

    started = time.monotonic()
    await app.start()
    try:
        ids = [f"{run_id}-{i:04d}" for i in range(DEMO_MESSAGES)]
        await _produce(settings, ids)
        done = await _wait_recorded(pool, ids, timeout)
    finally:
        await app.stop()
        await pool.close()
    elapsed = time.monotonic() - started
    print(
        f"round trip {done}/{len(ids)} messages produced → Faust agent → PostgreSQL "
        f"in {elapsed:.1f} s"
    )
    return 0 if done == len(ids) else 1


async def _produce(settings: Settings, ids: list[str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        futures = [
            await producer.send(settings.topic("raw.epj"), b"<demo/>", key=mid.encode())
            for mid in ids
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _wait_recorded(pool: asyncpg.Pool, ids: list[str], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = await pool.fetchval(
            "SELECT count(*) FROM message_journey WHERE message_id = ANY($1::text[])", ids
        )
        if count >= len(ids):
            break
        await asyncio.sleep(0.2)
    return int(count)
