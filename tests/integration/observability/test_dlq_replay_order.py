"""A dead letter is marked replayed only once its replay was sent: a failed send leaves it as it
was, so the next ``samflyt dlq replay --filter`` takes it again (real PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from streams.dlq import _record

pytestmark = pytest.mark.integration


async def test_a_failed_replay_send_marks_nothing_and_a_sent_one_marks_everything(
    db: asyncpg.Connection,
) -> None:
    letter_id = uuid.uuid4()
    journey_id = f"deadletter:{letter_id}"
    await db.execute(
        "INSERT INTO dead_letters (dead_letter_id, failed_at, stage, reason, reason_code, detail,"
        " journey_id, origin_topic, origin_headers, original) VALUES"
        " ($1, $2, 'VALIDATE', 'MALFORMED', 'T01', 'x', $3, 'raw.epj', $4::jsonb, $5)",
        letter_id,
        datetime.now(UTC),
        journey_id,
        json.dumps([]),
        b"<x",
    )
    row = await db.fetchrow("SELECT * FROM dead_letters WHERE dead_letter_id = $1", letter_id)
    sent: list[int] = []

    async def broker_down(attempt: int) -> None:
        raise ConnectionError("broker down")

    async def broker_up(attempt: int) -> None:
        sent.append(attempt)

    async def marks() -> tuple[int, int]:
        replays = await db.fetchval(
            "SELECT replays FROM dead_letters WHERE dead_letter_id = $1", letter_id
        )
        steps = await db.fetchval(
            "SELECT count(*) FROM message_journey WHERE message_id = $1 AND step = 'replayed'",
            journey_id,
        )
        return replays, steps

    with pytest.raises(ConnectionError):
        await _record(db, row, "test: broker down", broker_down)
    assert await marks() == (0, 0)
    attempt = await _record(db, row, "test: broker up", broker_up)
    assert sent == [attempt] and await marks() == (1, 1)
