"""Runs one lane of a sink: read a batch, write it (retrying only what failed), dead-letter the
bad records, confirm the routed deliveries written, then commit the consumer offsets of the batch.

Each lane has its own consumer group, offsets and backoff, so a destination that is down only
holds back its own lane. A batch's offsets are committed after every record in it was written
or dead-lettered; a crash before that re-delivers the batch, which sinks must tolerate
(writes are idempotent by message id / Kafka coordinates).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from ._confirmation import confirmation, confirms
from ._deadletter import dead_letter
from .kafka import Ack, Outgoing, Publisher
from .sdk.base import Sink
from .sdk.exceptions import ConnectorError, RetriableError
from .sdk.records import Failure, Record

__all__ = ["BatchReader", "SinkLaneRunner"]

log = logging.getLogger(__name__)
CONFIRM_ATTEMPTS = 5  # then the journey goes without the step: a delivery is never undone for it


class BatchReader(Protocol):
    async def read(self, max_records: int) -> Sequence[Record]:
        """Next records (position = ``topic:partition`` / offset); empty after a short wait."""

    async def commit(self, records: Sequence[Record]) -> None:
        """Commit the offsets past ``records``."""


class SinkLaneRunner:
    """Drives one lane of a started :class:`Sink`."""

    def __init__(
        self, sink: Sink[Any], lane: str, reader: BatchReader, publisher: Publisher
    ) -> None:
        self.sink = sink
        self.lane = lane
        self.reader = reader
        self.publisher = publisher
        self.config = sink.config
        self.retrying = False
        self.written_count = 0
        self.dead_lettered_count = 0
        self.unconfirmed_count = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            records = await self.reader.read(self.config.batch_size)
            if records:
                await self.deliver(records, stop)
                if stop.is_set() and self.retrying:
                    return  # not delivered: leave the offsets, the batch comes again
                await self.reader.commit(records)

    async def deliver(self, records: Sequence[Record], stop: asyncio.Event) -> None:
        """Write ``records`` until each is written or dead-lettered (or ``stop`` is set)."""
        pending = list(records)
        attempts = 0
        while pending:
            try:
                failures = list(await self.sink.write(pending, self.lane))
            except ConnectorError as exc:
                if not exc.retriable:
                    raise
                failures = [Failure(r, exc) for r in pending]
            failed = {id(f.record) for f in failures}
            written = [r for r in pending if id(r) not in failed]
            self.written_count += len(written)
            await self._confirm(written)
            attempts += 1
            retry: list[Record] = []
            for failure in failures:
                if not failure.error.retriable:
                    await self._dead_letter(failure.record, failure.error)
                elif self.config.retry.exhausted(attempts):
                    exhausted = RetriableError(
                        f"gave up after {attempts} attempts: {failure.error}",
                        code=failure.error.code,
                    )
                    await self._dead_letter(failure.record, exhausted)
                else:
                    retry.append(failure.record)
            pending = retry
            if pending:
                self.retrying = True
                try:
                    await asyncio.wait_for(stop.wait(), self.config.retry.delay(attempts))
                    return
                except TimeoutError:
                    pass
        self.retrying = False

    async def _confirm(self, written: Sequence[Record]) -> None:
        """Confirm the routed deliveries among ``written`` on the confirmation topic.

        Retried a few times, then logged and given up: the records are delivered, and holding
        the lane (or writing them again) for want of a journey step would be worse."""
        topic = self.config.confirmation_topic
        if not topic:
            return
        items = [
            confirmation(r, topic=topic, connector=self.sink.name, lane=self.lane)
            for r in written
            if confirms(r) and self.sink.delivers(r, self.lane)
        ]
        error: BaseException | None = None
        for attempt in range(1, CONFIRM_ATTEMPTS + 1):
            if not items:
                return
            answers = await self.publisher.publish(items)
            left: list[Outgoing] = []
            for item, answer in zip(items, answers, strict=True):
                if not isinstance(answer, Ack):
                    left.append(item)
                    error = answer
            items = left
            if items and attempt < CONFIRM_ATTEMPTS:
                await asyncio.sleep(self.config.retry.delay(attempt))
        if items:
            self.unconfirmed_count += len(items)
            log.error(
                "delivery confirmations not published: the journey lacks their delivered steps",
                extra={
                    "connector": self.sink.name,
                    "lane": self.lane,
                    "count": len(items),
                    "error": type(error).__name__,
                },
            )

    async def _dead_letter(self, record: Record, error: ConnectorError) -> None:
        item = dead_letter(
            record,
            error,
            topic=self.config.dead_letter_topic,
            connector=self.sink.name,
            stage="sink",
        )
        attempt = 0
        while True:
            (answer,) = await self.publisher.publish([item])
            if isinstance(answer, Ack):
                self.dead_lettered_count += 1
                log.warning(
                    "record dead-lettered",
                    extra={"connector": self.sink.name, "lane": self.lane, "code": error.code},
                )
                return
            attempt += 1
            if not getattr(answer, "retriable", False) or self.config.retry.exhausted(attempt):
                raise answer
            await asyncio.sleep(self.config.retry.delay(attempt))
