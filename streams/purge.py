"""``samflyt purge``: forget what holds messages and journeys once its retention has passed.

Kafka forgets by topic retention; PostgreSQL forgot nothing, and ``message_store`` keeps whole
payloads. Each table has a retention setting and the column that dates its rows; the purge
deletes the rows older than that, in batches so a first run on a large table does not hold one
long transaction. The audit log is not purged: it is evidence, and holds no content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from streams.settings import Settings

__all__ = ["BATCH", "Retained", "purge", "retention_plan"]

BATCH = 10_000


@dataclass(frozen=True, slots=True)
class Retained:
    table: str
    dated_by: str  # the column that says when a row was written
    cutoff: datetime  # rows older than this are purged


def retention_plan(settings: Settings, now: datetime) -> list[Retained]:
    """Pure: each table with retention and the moment before which its rows go."""
    return [
        Retained("message_store", "stored_at", now - settings.message_store_retention),
        Retained("message_journey", "at", now - settings.journey_retention),
        Retained("dead_letters", "failed_at", now - settings.dead_letter_retention),
    ]


async def _purge_one(conn: asyncpg.Connection, kept: Retained, *, dry_run: bool) -> int:
    where = f"{kept.dated_by} < $1"
    if dry_run:
        return int(await conn.fetchval(f"SELECT count(*) FROM {kept.table} WHERE {where}",
                                       kept.cutoff))
    total = 0
    while True:
        done = await conn.execute(
            f"DELETE FROM {kept.table} WHERE ctid = ANY(ARRAY("
            f"SELECT ctid FROM {kept.table} WHERE {where} LIMIT {BATCH}))",
            kept.cutoff,
        )
        count = int(done.split()[-1])
        total += count
        if count < BATCH:
            return total


async def purge(
    conn: asyncpg.Connection, plan: list[Retained], *, dry_run: bool = False
) -> dict[str, int]:
    """Rows deleted (or, with ``dry_run``, that would be) per table."""
    return {kept.table: await _purge_one(conn, kept, dry_run=dry_run) for kept in plan}
