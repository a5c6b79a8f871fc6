"""The journey store against the real PostgreSQL: a row the database refuses is left out and the
rest of its batch, and the transaction around it, still commit."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from streams.journey.rows import JourneyRow
from streams.journey.store import insert_dead_letters, insert_rows

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _dead_letter(detail: str) -> tuple[object, ...]:
    letter_id = uuid.uuid4()
    return (
        letter_id, NOW, "VALIDATE", "MALFORMED", "T01", detail, None, f"deadletter:{letter_id}",
        None, None, "raw.epj", 0, 1, None, json.dumps([]), b"<x", None,
    )  # fmt: skip


async def test_a_refused_row_is_dropped_and_its_batch_and_transaction_still_commit(
    db: asyncpg.Connection,
) -> None:
    run = uuid.uuid4().hex
    good = JourneyRow(message_id=f"{run}-good", step="received", at=NOW, stage="ingest")
    refused = JourneyRow(  # PostgreSQL's jsonb takes no NUL character
        message_id=f"{run}-refused", step="received", at=NOW, stage="ingest", detail={"x": "\0"}
    )
    letters = [_dead_letter("kept"), _dead_letter("bad \0 byte")]
    async with db.transaction():  # as the recorder writes a batch: one transaction
        await insert_rows(db, [good, refused])
        await insert_dead_letters(db, letters)
    kept = await db.fetch(
        "SELECT message_id FROM message_journey WHERE message_id LIKE $1", f"{run}-%"
    )
    assert [r["message_id"] for r in kept] == [f"{run}-good"]
    stored = await db.fetch(
        "SELECT detail FROM dead_letters WHERE dead_letter_id = ANY($1::uuid[])",
        [letters[0][0], letters[1][0]],
    )
    assert [r["detail"] for r in stored] == ["kept"]
