"""A dead letter is marked replayed only once its replay was sent: a failed send leaves it as it
was, so the next ``samflyt dlq replay --filter`` takes it again (real PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from streams.dlq import _record
from streams.settings import DEV_AUDIT_KEY

KEY = DEV_AUDIT_KEY.encode()

pytestmark = pytest.mark.integration


async def _dead_letter(db: asyncpg.Connection) -> asyncpg.Record:
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
    return await db.fetchrow("SELECT * FROM dead_letters WHERE dead_letter_id = $1", letter_id)


async def test_a_failed_replay_send_marks_nothing_and_a_sent_one_marks_everything(
    db: asyncpg.Connection,
) -> None:
    row = await _dead_letter(db)
    letter_id, journey_id = row["dead_letter_id"], row["journey_id"]
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
        await _record(db, row, "test: broker down", broker_down, KEY)
    assert await marks() == (0, 0)
    attempt = await _record(db, row, "test: broker up", broker_up, KEY)
    assert sent == [attempt] and await marks() == (1, 1)


async def test_two_filtered_replays_at_once_send_a_dead_letter_once(
    db: asyncpg.Connection, database_url: str
) -> None:
    row = await _dead_letter(db)
    other = await asyncpg.connect(database_url)
    sent: list[str] = []
    first_sending = asyncio.Event()
    release = asyncio.Event()

    async def slow_send(attempt: int) -> None:
        first_sending.set()
        await release.wait()  # the second replay starts while the first is sending
        sent.append("first")

    async def quick_send(attempt: int) -> None:
        sent.append("second")

    try:
        first = asyncio.create_task(
            _record(db, row, "test: one", slow_send, KEY, unreplayed_only=True)
        )
        await first_sending.wait()
        second = asyncio.create_task(
            _record(other, row, "test: two", quick_send, KEY, unreplayed_only=True)
        )
        await asyncio.sleep(0.3)  # it waits on the row the first holds
        assert not second.done()
        release.set()
        assert await first == 2
        assert await second is None  # marked meanwhile: left alone
    finally:
        await other.close()
    assert sent == ["first"]


async def test_the_list_filters_on_a_code_and_names_the_receiver_from_the_journey(
    db: asyncpg.Connection,
) -> None:
    """A connector's own code (``BadRecordError(code=…)``) could not be filtered on, and the
    list named no receiver."""
    from streams.dlq import format_list, list_dead

    code = f"bad-alarm-{uuid.uuid4().hex[:8]}"
    letter_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO dead_letters (dead_letter_id, failed_at, stage, reason, reason_code, detail,"
        " journey_id, sender_her_id, origin_topic, origin_headers, original) VALUES"
        " ($1, $2, 'INGEST', 'OTHER', $3, 'x', $4, '6501000', 'raw.welfare', '[]'::jsonb, 'x')",
        letter_id, datetime.now(UTC), code, f"j-{letter_id}",
    )  # fmt: skip
    await db.execute(
        "INSERT INTO message_journey (message_id, step, at, stage, recipient_her_id)"
        " VALUES ($1, 'deadlettered', now(), 'ingest', '6501010')",
        f"j-{letter_id}",
    )
    rows = await list_dead(db, reason=code)
    assert [(r["dead_letter_id"], r["recipient_her_id"]) for r in rows] == [(letter_id, "6501010")]
    assert "6501010" in format_list(rows) and await list_dead(db, reason="OTHER", limit=1000)
