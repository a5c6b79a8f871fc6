"""`samflyt audit verify` finds an audit table its owner rewrote, even with hashes recomputed.

The owner switches the append-only trigger off and rewrites a row, then recomputes every later
hash: without the key (the old, public SHA-256) the keyed chain breaks; with the key, the rows
no longer match their anchors on the ``audit.anchor`` topic, which the owner cannot write.
Each test acts inside the owner's transaction, rolled back at the end."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
import pytest

from streams import audit
from streams.admin import ensure_topics
from streams.audit_anchor import ANCHOR_TOPIC, anchor_new, verify_anchored
from streams.principals import OPERATOR
from streams.settings import Settings
from streams.topics import BY_NAME


@pytest.fixture
async def tx(settings: Settings, owner_db: asyncpg.Connection) -> AsyncIterator[list[int]]:
    """Three anchored rows written in a transaction of the owner; yields their seqs."""
    await ensure_topics(settings, [BY_NAME[ANCHOR_TOPIC]], principal=OPERATOR)
    transaction = owner_db.transaction()
    await transaction.start()
    try:
        before, _ = await audit.head(owner_db)
        key = settings.audit_key.get_secret_value().encode()
        seqs = [
            await audit.append(owner_db, key=key, action="dlq.show", reason=f"case {i}", who="sre")
            for i in range(3)
        ]
        await anchor_new(settings, owner_db, before)
        yield seqs
    finally:
        await transaction.rollback()


async def _rewrite(conn: asyncpg.Connection, seq: int, key: bytes | None) -> None:
    """The owner changes row ``seq`` and recomputes the hash of it and every later row."""
    await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
    await conn.execute("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = $1", seq)
    prev = await conn.fetchval("SELECT hash FROM audit_log WHERE seq = $1", seq - 1)
    for r in await conn.fetch("SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq", seq):
        fields = (r["seq"], r["at"], r["actor"], r["action"], r["message_id"], r["target"],
                  r["reason"], json.loads(r["detail"]))
        digest = audit.row_hash(key, prev or audit.GENESIS, *fields)
        await conn.execute(
            "UPDATE audit_log SET prev_hash = $2, hash = $3 WHERE seq = $1",
            r["seq"], prev or audit.GENESIS, digest,
        )
        prev = digest


async def test_an_intact_anchored_chain_verifies(
    settings: Settings, owner_db: asyncpg.Connection, tx: list[int]
) -> None:
    verdict = await verify_anchored(settings, owner_db)
    assert verdict.problems == () and verdict.anchored == 3


async def test_a_row_rewritten_with_unkeyed_hashes_recomputed_is_found(
    settings: Settings, owner_db: asyncpg.Connection, tx: list[int]
) -> None:
    await _rewrite(owner_db, tx[1], key=None)
    problems = (await verify_anchored(settings, owner_db)).problems
    assert {p.seq for p in problems if "hash does not match" in p.problem} >= {tx[1], tx[2]}


async def test_a_chain_recomputed_with_the_key_differs_from_its_anchors(
    settings: Settings, owner_db: asyncpg.Connection, tx: list[int]
) -> None:
    await _rewrite(owner_db, tx[1], key=settings.audit_key.get_secret_value().encode())
    problems = (await verify_anchored(settings, owner_db)).problems
    assert {p.seq for p in problems} == {tx[1], tx[2]}
    assert all("differs from its anchor" in p.problem for p in problems)


async def test_removing_the_newest_rows_is_found(
    settings: Settings, owner_db: asyncpg.Connection, tx: list[int]
) -> None:
    await owner_db.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
    await owner_db.execute("DELETE FROM audit_log WHERE seq >= $1", tx[1])
    problems = (await verify_anchored(settings, owner_db)).problems
    assert [(p.seq, p.problem) for p in problems] == [
        (tx[1], "anchored row is missing from the table"),
        (tx[2], "anchored row is missing from the table"),
    ]
