"""The audit log is append-only and ``samflyt audit verify`` detects a changed or deleted row.

The runtime role cannot change the table at all (tests/integration/test_database_roles.py);
tampering needs its owner to switch the append-only trigger off. Each test here acts as the
owner inside a transaction that is rolled back, so the session's audit log stays intact."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from streams import audit
from streams.settings import DEV_AUDIT_KEY

KEY = DEV_AUDIT_KEY.encode()


@pytest.fixture
async def tx(owner_db: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    transaction = owner_db.transaction()
    await transaction.start()
    try:
        for i in range(3):
            await audit.append(
                owner_db,
                key=KEY,
                action="dlq.show",
                reason=f"case {i}",
                message_id=f"m-{i}",
                who="sre",
            )
        yield owner_db
    finally:
        await transaction.rollback()


async def test_an_intact_log_verifies(tx: asyncpg.Connection) -> None:
    count, problems = await audit.verify(tx, KEY)
    assert count >= 3 and problems == []


async def test_update_and_delete_are_refused_even_to_the_owner(tx: asyncpg.Connection) -> None:
    seq, _ = await audit.head(tx)
    for statement in (
        "UPDATE audit_log SET reason = 'x' WHERE seq = $1",
        "DELETE FROM audit_log WHERE seq = $1",
    ):
        # in a savepoint, so the refusal does not abort the test's transaction
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            async with tx.transaction():
                await tx.execute(statement, seq)


async def test_a_changed_row_is_detected(tx: asyncpg.Connection) -> None:
    seq, _ = await audit.head(tx)
    await tx.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
    await tx.execute("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = $1", seq - 1)
    _, problems = await audit.verify(tx, KEY)
    assert [(p.seq, p.problem) for p in problems] == [(seq - 1, "row changed: hash does not match")]


async def test_a_deleted_row_is_detected(tx: asyncpg.Connection) -> None:
    seq, _ = await audit.head(tx)
    await tx.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
    await tx.execute("DELETE FROM audit_log WHERE seq = $1", seq - 1)
    _, problems = await audit.verify(tx, KEY)
    assert {p.seq for p in problems} == {seq}
    assert any("missing" in p.problem for p in problems)
    assert any("chain broken" in p.problem for p in problems)
