"""Stored messages, journeys and dead letters are forgotten once their retention has passed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from streams.purge import purge, retention_plan
from streams.settings import load_settings

NOW = datetime.now(UTC)


async def _rows(conn: asyncpg.Connection, at: datetime, tag: str) -> None:
    await conn.execute(
        "INSERT INTO message_store (kind, message_id, topic, kafka_partition, kafka_offset,"
        " payload, stored_at) VALUES ('event', $1, 't', 0, $2, '\\x00', $3)",
        tag, uuid.uuid4().int % 2**62, at,
    )
    await conn.execute(
        "INSERT INTO message_journey (message_id, step, at, stage) VALUES ($1, 'received', $2,"
        " 'test')", tag, at,
    )
    await conn.execute(
        "INSERT INTO dead_letters (dead_letter_id, failed_at, stage, reason, detail, journey_id,"
        " origin_topic, original) VALUES ($1, $2, 'test', 'OTHER', '-', $3, 't', '\\x00')",
        uuid.uuid4(), at, tag,
    )


async def _left(conn: asyncpg.Connection, tag: str) -> list[int]:
    return [
        await conn.fetchval("SELECT count(*) FROM message_store WHERE message_id = $1", tag),
        await conn.fetchval("SELECT count(*) FROM message_journey WHERE message_id = $1", tag),
        await conn.fetchval("SELECT count(*) FROM dead_letters WHERE journey_id = $1", tag),
    ]


async def test_purge_deletes_rows_past_their_retention_and_keeps_the_rest(
    db: asyncpg.Connection,
) -> None:
    settings = load_settings(environment="test", journey_retention=timedelta(days=30))
    old, fresh = f"old-{uuid.uuid4()}", f"fresh-{uuid.uuid4()}"
    transaction = db.transaction()
    await transaction.start()
    try:
        await _rows(db, NOW - timedelta(days=120), old)
        await _rows(db, NOW - timedelta(days=10), fresh)
        plan = retention_plan(settings, NOW)
        counted = await purge(db, plan, dry_run=True)
        assert all(n >= 1 for n in counted.values())
        await purge(db, plan)
        assert await _left(db, old) == [0, 0, 0]
        assert await _left(db, fresh) == [1, 1, 1]
    finally:
        await transaction.rollback()
