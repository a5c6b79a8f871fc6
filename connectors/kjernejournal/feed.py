"""Core journal change feed: reads ``kjernejournal_outbox`` in id order from the committed
position; LISTEN/NOTIFY wakes it at once, polling every ``poll_interval`` is the safety net
(a notification is lost while the connection is down).

Rows of transactions still in flight are not read yet (``tx_id`` below the snapshot's xmin),
so a row with a lower id that commits after a higher one is never skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import asyncpg
from pydantic import Field, SecretStr

from ..sdk import Position, Record, RetriableError, Source, SourceConfig
from ..sdk import headers as h
from ..sdk.base import Health, HealthStatus

__all__ = ["OutboxConfig", "OutboxRow", "OutboxSource", "map_row"]

STREAM = "outbox"
_IDENT = r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$"


class OutboxConfig(SourceConfig):
    database_url: SecretStr = Field(description="PostgreSQL holding the outbox table")
    table: str = Field("kjernejournal_outbox", pattern=_IDENT)
    channel: str = Field("kjernejournal_outbox", pattern=r"^[a-z_][a-z0-9_]*$")
    poll_interval: float = Field(2.0, gt=0, le=300)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    event_id: str
    event_type: str
    patient_key: str | None
    payload: bytes


def map_row(row: OutboxRow) -> Record:
    """The record of one change event (pure). Keyed by the pseudonymous patient key so one
    patient's changes stay in order; never by the national id."""
    headers: h.Headers = ((h.MESSAGE_TYPE, row.event_type.encode()),)
    if row.patient_key:
        headers = h.with_header(headers, h.PATIENT_KEY, row.patient_key)
    return Record(
        value=row.payload,
        key=(row.patient_key or row.event_id).encode(),
        headers=headers,
        position=Position(STREAM, str(row.id)),
        message_id=row.event_id,
    )


class OutboxSource(Source[OutboxConfig]):
    name: ClassVar[str] = "kjernejournal-outbox"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[OutboxConfig]] = OutboxConfig

    def __init__(self, config: OutboxConfig) -> None:
        super().__init__(config)
        if not re.match(_IDENT, config.table):  # also checked by the config model
            raise ValueError("table")
        self._after = 0
        self._wake = asyncio.Event()
        self._pool: Any = None
        self._listener: Any = None

    async def on_start(self, committed: Mapping[str, str]) -> None:
        self._after = int(committed.get(STREAM, "0"))
        dsn = self.config.database_url.get_secret_value()
        try:
            self._pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
            self._listener = await asyncpg.connect(dsn)
            await self._listener.add_listener(self.config.channel, self._notified)
        except (OSError, asyncpg.PostgresError) as exc:
            await self._close()
            raise RetriableError(f"outbox database unreachable: {type(exc).__name__}") from None

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def on_stop(self) -> None:
        await self._close()

    async def health(self) -> Health:
        if not self.started:
            return Health(HealthStatus.DOWN, "not started")
        if self._listener is None or self._listener.is_closed():
            return Health(HealthStatus.DEGRADED, "LISTEN connection lost; polling only")
        return Health(HealthStatus.OK, f"after id {self._after}")

    async def fetch(self, limit: int) -> list[OutboxRow]:
        query = (
            f"SELECT id, event_id::text AS event_id, event_type, patient_key, payload"
            f" FROM {self.config.table}"
            f" WHERE id > $1 AND tx_id < pg_snapshot_xmin(pg_current_snapshot())"
            f" ORDER BY id LIMIT $2"
        )
        try:
            rows = await self._pool.fetch(query, self._after, limit)
        except (OSError, asyncpg.PostgresError) as exc:
            raise RetriableError(f"outbox query failed: {type(exc).__name__}") from None
        return [
            OutboxRow(
                r["id"], r["event_id"], r["event_type"], r["patient_key"], bytes(r["payload"])
            )
            for r in rows
        ]

    async def poll(self, max_records: int) -> Sequence[Record]:
        self._wake.clear()  # before the query, so a NOTIFY during it is not missed
        rows = await self.fetch(max_records)
        if not rows:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.poll_interval)
            rows = await self.fetch(max_records)
        if rows:
            self._after = rows[-1].id
        return [map_row(r) for r in rows]

    async def abandon(self, records: Sequence[Record], error: Exception) -> None:
        positions = [int(r.position.offset) for r in records if r.position is not None]
        if positions:
            self._after = min(positions) - 1
