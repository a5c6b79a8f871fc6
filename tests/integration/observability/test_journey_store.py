"""The journey store against the real PostgreSQL: a row the database refuses is left out and the
rest of its batch, and the transaction around it, still commit; an answer that quotes its
question's DokIdForesp gives the question its answered step, in whichever order they come."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from streams.journey.rows import JourneyRow, rows_for
from streams.journey.store import insert_dead_letters, insert_rows
from tests.unit.routing.test_answers import _event as dialogue_event

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


def _rows(msg_type: str, sender: str, receiver: str, body: dict[str, str]) -> list[JourneyRow]:
    """The journey rows of a dialogue message (its id: the type and the sender)."""
    event = dialogue_event(msg_type, sender, receiver, body)
    return rows_for("CanonicalEvent", event, trace_id=None, written_at=NOW)


@pytest.mark.parametrize("answer_first", [False, True])
async def test_an_answer_quoting_the_question_document_id_answers_it(
    db: asyncpg.Connection, answer_first: bool
) -> None:
    run = uuid.uuid4().hex[:8]
    asker, answerer = f"1{run}", f"2{run}"  # HER-ids of this run only
    asks = {"dialogue_kind": "foresporsel", "document_ref": "OD-7"}
    question = _rows("DIALOG_FORESPORSEL", asker, answerer, asks)
    answer = _rows(  # a GP system's answer: no ConversationRef, the question's DokIdForesp
        "DIALOG_SVAR", answerer, asker, {"dialogue_kind": "notat", "request_document_ref": "od-7"}
    )
    other = _rows(  # the same document id from another asker answers nothing of this one
        "DIALOG_NOTAT", answerer, f"3{run}", {"request_document_ref": "OD-7"}
    )
    batches = [answer + other, question] if answer_first else [question, answer + other]
    for batch in [*batches, *batches]:  # redelivered: still one answered step
        async with db.transaction():
            await insert_rows(db, batch)
    answered = await db.fetch(
        "SELECT detail, recipient_her_id FROM message_journey"
        " WHERE message_id = $1 AND step = 'answered'",
        f"dialog_foresporsel-{asker}",
    )
    assert len(answered) == 1
    detail = json.loads(answered[0]["detail"])
    assert detail["answer_message_id"] == f"dialog_svar-{answerer}"
    assert detail["matched_by"] == "DokIdForesp"
    assert answered[0]["recipient_her_id"] == answerer


async def test_a_question_and_its_answer_written_at_once_are_still_linked(
    db: asyncpg.Connection, database_url: str
) -> None:
    # two recorders (two workers) commit the question and the answer at the same time
    run = uuid.uuid4().hex[:8]
    asker, answerer = f"1{run}", f"2{run}"
    asks = {"dialogue_kind": "foresporsel", "document_ref": "OD-8"}
    question = _rows("DIALOG_FORESPORSEL", asker, answerer, asks)
    answer = _rows("DIALOG_SVAR", answerer, asker, {"request_document_ref": "OD-8"})
    other = await asyncpg.connect(database_url)
    try:
        first = db.transaction()
        await first.start()
        await insert_rows(db, question)

        async def second() -> None:
            async with other.transaction():
                await insert_rows(other, answer)

        task = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # the answer's transaction has started and waits for the key
        await first.commit()
        await task
    finally:
        await other.close()
    answered = await db.fetchval(
        "SELECT count(*) FROM message_journey WHERE message_id = $1 AND step = 'answered'",
        f"dialog_foresporsel-{asker}",
    )
    assert answered == 1


async def test_each_citizen_through_the_portal_keeps_a_step_of_its_own(
    db: asyncpg.Connection,
) -> None:
    """The patient and a proxy share the portal's HER-id: two routed steps, not one, and a
    redelivered batch still leaves two."""
    message_id = f"{uuid.uuid4().hex}-lab"
    rows = [
        JourneyRow(
            message_id=message_id,
            step="routed",
            at=NOW,
            stage="route",
            recipient_her_id="902",
            reason=reason,
            recipient_key=key,
        )
        for reason, key in (("CITIZEN", "a" * 64), ("CITIZEN_PROXY", "b" * 64))
    ]
    for _ in range(2):
        async with db.transaction():
            await insert_rows(db, rows)
    stored = await db.fetch(
        "SELECT reason, recipient_key FROM message_journey WHERE message_id = $1"
        " ORDER BY reason",
        message_id,
    )
    assert [(r["reason"], r["recipient_key"]) for r in stored] == [
        ("CITIZEN", "a" * 64),
        ("CITIZEN_PROXY", "b" * 64),
    ]
