"""The journey recorder: reads what the stages wrote and files it in the transaction log.

Not a Faust agent. It sends nothing to Kafka and keeps no table, yet it consumes about half of
the records a worker reads (~3.7 per pipeline input), and Faust's per-record stream machinery
costs ~20 times the CPU of a plain batch read. So it reads through the sinks' batch reader
(:class:`connectors.kafka.KafkaBatchReader`: manual commits, ``read_committed`` because the
pipeline may run exactly-once, from the earliest offset) in a consumer group of its own,
``<app_id>-journey``, and runs inside the worker as a :class:`mode.Service` the Faust app starts
and stops with itself (``app.add_dependency``, as the metrics server).

At-least-once: a batch's offsets are committed only after its rows and dead letters were
written in one transaction. A batch read again after a crash, a stop during a database outage
or a rebalance changes nothing: the writes are idempotent (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import asyncpg
from mode import Service

from connectors.kafka import KafkaBatchReader
from connectors.kafka_security import KafkaAccessError
from connectors.sdk.records import Record
from streams.db import create_pool
from streams.journey.collect import collect
from streams.journey.rows import JourneyRow
from streams.journey.store import DeadLetterRow, insert_dead_letters, insert_rows, with_retry
from streams.metrics import JOURNEY_LAG
from streams.principals import JOURNEY
from streams.settings import Settings

if TYPE_CHECKING:
    from streams.pipeline import Pipeline

__all__ = ["SOURCES", "JourneyRecorder", "group_id"]

log = logging.getLogger(__name__)
SOURCES = (
    "canonical.events", "decisions", "deadletter", "receipts", "overdue", "deliveries.confirmed"
)
BATCH = 500
GATHER_S = 0.5
FETCH_MIN_BYTES = 256 * 1024  # the broker answers when this much is there, or after GATHER_S
STOP_WAIT_S = 15.0  # a write still retrying then is abandoned: uncommitted, read again later
RESTART_DELAY_S = 5.0


def group_id(settings: Settings) -> str:
    """The recorder's consumer group: its own, so its offsets and lag are apart from Faust's."""
    return f"{settings.app_id}-journey"


class JourneyRecorder(Service):
    """Reads the topics of :data:`SOURCES` in batches into ``message_journey`` and
    ``dead_letters`` while the app runs."""

    def __init__(self, pipeline: Pipeline, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pipeline = pipeline
        self._pool: asyncpg.Pool | None = None
        self._task: asyncio.Task[None] | None = None

    async def on_start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="journey-recorder")

    async def on_stop(self) -> None:
        """``should_stop`` is set: the batch in hand is written and committed, then the loop
        ends and closes its consumer. A write that cannot finish in time is cancelled."""
        if self._task is not None:
            _, pending = await asyncio.wait({self._task}, timeout=STOP_WAIT_S)
            if pending:
                log.warning("journey recorder did not stop in time; its batch is read again")
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _run(self) -> None:
        """Until stopped. An unexpected failure starts a new consumer, which resumes from the
        last commit, rather than read on past a batch that was not written."""
        settings = self.pipeline.settings
        topics = [settings.topic(name) for name in SOURCES]
        while not self.should_stop:
            reader = KafkaBatchReader(
                settings.kafka(JOURNEY),
                topics,
                group_id(settings),
                fetch_min_bytes=FETCH_MIN_BYTES,
                fetch_max_wait_ms=int(GATHER_S * 1000),
            )
            try:
                await reader.start()
                await self._consume(reader)
            except KafkaAccessError as exc:  # an ACL or a credential: retrying cannot help
                log.critical("journey recorder refused by the broker: %s", exc)
                await reader.stop()
                await self.crash(exc)
                return
            except Exception:
                log.exception("journey recorder failed; reading again from the last commit")
                await self.sleep(RESTART_DELAY_S)
            finally:
                await reader.stop()

    async def _consume(self, reader: KafkaBatchReader) -> None:
        p = self.pipeline
        canonical = p.settings.topic("canonical.events")
        while not self.should_stop:
            records = await self._gather(reader)
            if not records:
                continue
            rows, dead = collect(p.codec, canonical, records)
            behind = partial(_lag, reader, len(records))
            if (rows or dead) and not await self._write(rows, dead, behind):
                return  # stopped during a database outage: not written, so not committed
            p.counts["journey.rows"] += len(rows)
            await reader.commit(records)
            _lag(reader, 0)

    async def _gather(self, reader: KafkaBatchReader) -> list[Record]:
        """Up to :data:`BATCH` records, gathered for up to :data:`GATHER_S` after the first: a
        poll returns what has been fetched, often a handful of records, and a transaction plus
        an offset commit per poll cost more than the rows they wrote."""
        records = list(await reader.read(BATCH))
        if not records:
            return records
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GATHER_S
        while len(records) < BATCH and not self.should_stop:
            left_ms = int((deadline - loop.time()) * 1000)
            if left_ms <= 0:
                break
            records += await reader.read(BATCH - len(records), timeout_ms=left_ms)
        return records

    async def _write(
        self, rows: list[JourneyRow], dead: list[DeadLetterRow], each_attempt: Callable[[], None]
    ) -> bool:
        """Write in one transaction, retrying database outages; False if stopped first."""

        async def write() -> None:
            each_attempt()  # the lag grows while the database is away: an SRE sees it
            if self._pool is None:
                self._pool = await create_pool(self.pipeline.settings, min_size=1, max_size=2)
            async with self._pool.acquire() as conn, conn.transaction():
                await insert_rows(conn, rows)
                await insert_dead_letters(conn, dead)

        return await with_retry(write, should_stop=lambda: self.should_stop)


def _lag(reader: KafkaBatchReader, in_hand: int) -> None:
    JOURNEY_LAG.set(reader.behind() + in_hand)
