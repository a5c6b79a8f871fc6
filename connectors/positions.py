"""Where source positions and published message ids are kept: PostgreSQL (or memory, in tests).

Why PostgreSQL rather than a compacted Kafka topic: the position and the set of published
message ids must change in *one* transaction, and a relational table gives that, plus a place
an SRE can query (``SELECT * FROM connector_positions``). Tables: see migration 0003.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

__all__ = [
    "MemoryPositionStore",
    "Pending",
    "PgPositionStore",
    "PositionStore",
    "Published",
    "claim_id",
]


def claim_id(key: bytes | None, message_id: str | None) -> str | None:
    """The id a record is published once under: its message id within its key (the sender's
    HER-id, as the connectors key raw records). Message ids are unique per sender only: a
    second sender reusing another's (non-UUID) id is another message. No message id, no claim."""
    if not message_id:
        return None
    if not key:
        return message_id
    return f"{key.decode('utf-8', errors='replace')}|{message_id}"


@dataclass(frozen=True, slots=True)
class Published:
    message_id: str
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Pending:
    message_id: str
    topic: str
    claimed_at: datetime


class PositionStore(Protocol):
    async def load(self, connector: str) -> dict[str, str]:
        """Last committed offset per stream."""

    async def claim(self, connector: str, claims: Sequence[tuple[str, str]]) -> set[str]:
        """Mark (message_id, topic) pairs pending; return the ids already published."""

    async def commit(
        self, connector: str, published: Sequence[Published], positions: Mapping[str, str]
    ) -> None:
        """In one transaction: mark ``published`` and store ``positions``."""

    async def pending(self, connector: str) -> list[Pending]:
        """Claims left pending by a crash."""

    async def resolve(
        self, connector: str, found: Sequence[Published], missing: Sequence[str]
    ) -> None:
        """Mark ``found`` published; forget ``missing`` claims (they will be sent again)."""


class MemoryPositionStore:
    """In-memory store for unit tests and the conformance suite."""

    def __init__(self) -> None:
        self.positions: dict[str, dict[str, str]] = {}
        self.published: dict[str, dict[str, Published]] = {}
        self.claims: dict[str, dict[str, Pending]] = {}

    async def load(self, connector: str) -> dict[str, str]:
        return dict(self.positions.get(connector, {}))

    async def claim(self, connector: str, claims: Sequence[tuple[str, str]]) -> set[str]:
        done = self.published.setdefault(connector, {})
        pending = self.claims.setdefault(connector, {})
        for message_id, topic in claims:
            if message_id not in done:
                pending[message_id] = Pending(message_id, topic, datetime.now(UTC))
        return {message_id for message_id, _ in claims if message_id in done}

    async def commit(
        self, connector: str, published: Sequence[Published], positions: Mapping[str, str]
    ) -> None:
        pending = self.claims.setdefault(connector, {})
        for item in published:
            self.published.setdefault(connector, {})[item.message_id] = item
            pending.pop(item.message_id, None)
        self.positions.setdefault(connector, {}).update(positions)

    async def pending(self, connector: str) -> list[Pending]:
        return list(self.claims.get(connector, {}).values())

    async def resolve(
        self, connector: str, found: Sequence[Published], missing: Sequence[str]
    ) -> None:
        await self.commit(connector, found, {})
        for message_id in missing:
            self.claims.get(connector, {}).pop(message_id, None)


class PgPositionStore:
    """The store on PostgreSQL (an asyncpg pool)."""

    def __init__(self, pool: Any, retention: timedelta = timedelta(days=30)) -> None:
        self._pool = pool
        self._retention = retention

    async def load(self, connector: str) -> dict[str, str]:
        rows = await self._pool.fetch(
            'SELECT stream, "offset" FROM connector_positions WHERE connector = $1', connector
        )
        await self._pool.execute(
            "DELETE FROM connector_published WHERE connector = $1 AND state = 'published'"
            " AND published_at < now() - $2::interval",
            connector,
            self._retention,
        )
        return {row["stream"]: row["offset"] for row in rows}

    async def claim(self, connector: str, claims: Sequence[tuple[str, str]]) -> set[str]:
        if not claims:
            return set()
        ids = [c[0] for c in claims]
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO connector_published (connector, message_id, topic, state)"
                " VALUES ($1, $2, $3, 'pending') ON CONFLICT DO NOTHING",
                [(connector, message_id, topic) for message_id, topic in claims],
            )
            rows = await conn.fetch(
                "SELECT message_id FROM connector_published WHERE connector = $1"
                " AND message_id = ANY($2::text[]) AND state = 'published'",
                connector,
                ids,
            )
        return {row["message_id"] for row in rows}

    async def commit(
        self, connector: str, published: Sequence[Published], positions: Mapping[str, str]
    ) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await self._mark(conn, connector, published)
            await conn.executemany(
                'INSERT INTO connector_positions (connector, stream, "offset") VALUES ($1, $2, $3)'
                ' ON CONFLICT (connector, stream) DO UPDATE SET "offset" = EXCLUDED."offset",'
                " updated_at = now()",
                [(connector, stream, offset) for stream, offset in positions.items()],
            )

    @staticmethod
    async def _mark(conn: Any, connector: str, published: Sequence[Published]) -> None:
        await conn.executemany(
            "INSERT INTO connector_published (connector, message_id, topic, state,"
            " kafka_partition, kafka_offset, published_at)"
            " VALUES ($1, $2, $3, 'published', $4, $5, now())"
            " ON CONFLICT (connector, message_id) DO UPDATE SET state = 'published',"
            " topic = EXCLUDED.topic, kafka_partition = EXCLUDED.kafka_partition,"
            " kafka_offset = EXCLUDED.kafka_offset, published_at = now()",
            [(connector, p.message_id, p.topic, p.partition, p.offset) for p in published],
        )

    async def pending(self, connector: str) -> list[Pending]:
        rows = await self._pool.fetch(
            "SELECT message_id, topic, claimed_at FROM connector_published"
            " WHERE connector = $1 AND state = 'pending'",
            connector,
        )
        return [Pending(r["message_id"], r["topic"], r["claimed_at"]) for r in rows]

    async def resolve(
        self, connector: str, found: Sequence[Published], missing: Sequence[str]
    ) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await self._mark(conn, connector, found)
            await conn.execute(
                "DELETE FROM connector_published WHERE connector = $1 AND state = 'pending'"
                " AND message_id = ANY($2::text[])",
                connector,
                list(missing),
            )
