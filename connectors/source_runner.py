"""Runs one source: poll, publish in bulk, store positions and published ids, commit upstream.

Exactly-once publishing for records with a ``message_id``, once per record key and message id
(:func:`~connectors.positions.claim_id`: message ids are unique per sender, the key):

1. *claim*: the ids are written as ``pending`` (and ids already ``published`` are skipped);
2. *publish*: the batch is produced (idempotent producer, acks=all) and the acks awaited;
3. *commit*: one transaction marks the ids ``published`` and stores the positions;
4. the source is told (:meth:`Source.commit`: move the file, answer the caller).

A record the broker refuses for good (too large for the topic) goes to the dead-letter topic
instead; its claim is forgotten, not marked published, and the source's ``commit`` gets it
with the error, so a caller hears why and a resend of the message is published.

A crash before 3 leaves ``pending`` claims. At the next start, before the first poll, the
topic is read back from the oldest claim: a claim whose id is found there is marked published
(its source record will be offered again and skipped), the others are forgotten (and sent
again). The crashed producer is dead by then, so nothing it sent can still arrive.
A crash after 3 but before 4 finds the ids published and skips them. Records without a
``message_id`` get at-least-once delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ._deadletter import as_connector_error, dead_letter, without_value
from .kafka import Ack, Outgoing, Publisher
from .positions import Pending, PositionStore, Published, claim_id
from .sdk import headers as h
from .sdk.base import Health, HealthStatus, Source
from .sdk.exceptions import ConnectorError, RetriableError
from .sdk.logs import count_waiting, outage_detail
from .sdk.records import Record
from .sdk.tracing import ensure_traceparent

__all__ = ["Recover", "SourceRunner", "prepare"]

log = logging.getLogger(__name__)

Recover = Callable[[Sequence[Pending]], Awaitable[list[Published]]]


def prepare(record: Record, connector: str, now: datetime) -> Record:
    """The record as it is produced: connector, reception time, message id, traceparent."""
    headers = h.with_header(record.headers, h.CONNECTOR, connector)
    if h.get_header(headers, h.RECEIVED_AT) is None:
        headers = h.with_header(headers, h.RECEIVED_AT, now.isoformat())
    if record.message_id is not None:
        headers = h.with_header(headers, h.MESSAGE_ID, record.message_id)
    return Record(
        value=record.value,
        key=record.key,
        headers=ensure_traceparent(headers),
        position=record.position,
        message_id=record.message_id,
        topic=record.topic,
        error=record.error,
    )


class SourceRunner:
    """Drives a started-by-it :class:`Source` until ``stop`` is set."""

    def __init__(
        self,
        source: Source[Any],
        publisher: Publisher,
        store: PositionStore,
        recover: Recover | None = None,
    ) -> None:
        self.source = source
        self.publisher = publisher
        self.store = store
        self._recover = recover
        self.name = source.name
        self.config = source.config
        self.published_count = 0
        self.skipped_count = 0
        self.dead_lettered_count = 0
        self._retrying = False
        self._publishing = 0  # records handed to the broker and not yet acknowledged
        count_waiting(f"source {self.name}", lambda: self._publishing)

    async def health(self) -> Health:
        health = await self.source.health()
        if health.status is not HealthStatus.OK:
            return health
        broker = outage_detail()
        if broker is not None:
            return Health(HealthStatus.DEGRADED, broker)
        if self._retrying:
            return Health(HealthStatus.DEGRADED, "retrying")
        return health

    async def recover(self) -> None:
        """Resolve claims a crash left pending (see the module docstring)."""
        pending = await self.store.pending(self.name)
        if not pending:
            return
        found = await self._recover(pending) if self._recover is not None else []
        found_ids = {p.message_id for p in found}
        missing = [p.message_id for p in pending if p.message_id not in found_ids]
        await self.store.resolve(self.name, found, missing)
        log.info(
            "recovered pending claims",
            extra={"connector": self.name, "found": len(found), "resend": len(missing)},
        )

    async def run(self, stop: asyncio.Event) -> None:
        await self.recover()
        committed = await self.store.load(self.name)
        attempt = 0
        while True:
            try:
                await self.source.start(committed)
                break
            except ConnectorError as exc:
                attempt += 1
                if not exc.retriable or self.config.retry.exhausted(attempt) or stop.is_set():
                    raise
                log.warning("source start failed; retrying", extra={"connector": self.name})
                await self._backoff(attempt, stop)
        log.info("source started", extra={"connector": self.name})
        try:
            attempt = 0
            while not stop.is_set():
                try:
                    records = await self._poll(stop)
                    attempt = 0
                except ConnectorError as exc:
                    if not exc.retriable:
                        raise
                    attempt += 1
                    await self._backoff(attempt, stop)
                    continue
                if records:
                    await self.process(records)
        finally:
            await self.source.stop()
            log.info("source stopped", extra={"connector": self.name})

    async def _poll(self, stop: asyncio.Event) -> Sequence[Record]:
        poll = asyncio.ensure_future(self.source.poll(self.config.batch_size))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not poll.done():
            poll.cancel()
            await asyncio.gather(poll, return_exceptions=True)
            return ()
        return poll.result()

    async def _backoff(self, attempt: int, stop: asyncio.Event | None = None) -> None:
        delay = self.config.retry.delay(attempt)
        self._retrying = True
        try:
            if stop is None:
                await asyncio.sleep(delay)
            else:
                await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            pass
        finally:
            self._retrying = False

    async def process(self, records: Sequence[Record]) -> None:
        """Publish one polled batch and commit it (steps 1-4 of the module docstring)."""
        now = datetime.now(UTC)
        prepared = [prepare(r, self.name, now) for r in records]
        claim_ids = [claim_id(r.key, r.message_id) for r in prepared]
        claims: dict[str, str] = {}
        for r, cid in zip(prepared, claim_ids, strict=True):
            if cid is not None and r.error is None:
                claims.setdefault(cid, r.topic or self.config.topic)
        done = await self.store.claim(self.name, list(claims.items()))
        outgoing: list[Outgoing] = []
        ids: list[str | None] = []
        origin: list[int] = []  # the prepared record each outgoing one is
        seen: set[str] = set(done)
        for n, (r, cid) in enumerate(zip(prepared, claim_ids, strict=True)):
            if r.error is not None:
                outgoing.append(self._dead_letter(r, r.error, "source"))
                ids.append(None)
            elif cid is not None and cid in seen:
                self.skipped_count += 1
                continue
            else:
                outgoing.append(Outgoing(r.topic or self.config.topic, r.value, r.key, r.headers))
                ids.append(cid)
                if cid is not None:
                    seen.add(cid)
            origin.append(n)
        self._publishing = len(outgoing)
        try:
            acks, refused = await self._publish(outgoing)
        except Exception as exc:
            await self.source.abandon(records, exc)
            raise
        finally:
            self._publishing = 0
        published = [
            Published(mid, ack.topic, ack.partition, ack.offset)
            for i, (mid, ack) in enumerate(zip(ids, acks, strict=True))
            if mid is not None and i not in refused
        ]
        # a record the broker refused is on the dead-letter topic, not published: its claim is
        # forgotten (a corrected resend is taken) and the source hears why
        forgotten = [mid for i, mid in enumerate(ids) if i in refused and mid is not None]
        if forgotten:
            await self.store.resolve(self.name, [], forgotten)
        for i, error in refused.items():
            prepared[origin[i]] = prepared[origin[i]].rejected(as_connector_error(error))
        positions = {r.position.stream: r.position.offset for r in prepared if r.position}
        await self.store.commit(self.name, published, positions)
        self.published_count += len(published)
        await self.source.commit(prepared)

    def _dead_letter(self, record: Record, error: BaseException, stage: str) -> Outgoing:
        self.dead_lettered_count += 1
        return dead_letter(
            record,
            error,
            topic=self.config.dead_letter_topic,
            connector=self.name,
            stage=stage,
            target_topic=record.topic or self.config.topic,
        )

    async def _publish(
        self, outgoing: list[Outgoing]
    ) -> tuple[list[Ack], dict[int, BaseException]]:
        """Produce all; retry the retriable failures with backoff; dead-letter the fatal ones.
        Returns an ack for each (a refused record's is its dead letter's) and, by index, the
        error of each record the broker refused."""
        results: list[Ack | None] = [None] * len(outgoing)
        refused: dict[int, BaseException] = {}
        todo = list(range(len(outgoing)))
        attempt = 0
        while todo:
            answers = await self.publisher.publish([outgoing[i] for i in todo])
            retry: list[int] = []
            for i, answer in zip(todo, answers, strict=True):
                if isinstance(answer, Ack):
                    results[i] = answer
                elif getattr(answer, "retriable", False):
                    retry.append(i)
                elif outgoing[i].topic != self.config.dead_letter_topic:
                    record = Record(
                        outgoing[i].value, outgoing[i].key, outgoing[i].headers,
                        topic=outgoing[i].topic,
                    )  # fmt: skip
                    outgoing[i] = self._dead_letter(record, answer, "publish")
                    refused[i] = answer
                    retry.append(i)
                elif outgoing[i].value:
                    # a dead letter the broker refused (too large for the topic): sent again
                    # without the bytes, which stay with the source (a file in failed/ or done/)
                    outgoing[i] = without_value(outgoing[i], answer)
                    retry.append(i)
                else:
                    raise answer
            attempt += 1 if retry else 0
            if retry and self.config.retry.exhausted(attempt):
                raise RetriableError(f"publishing failed after {attempt} attempts")
            if retry:
                await self._backoff(attempt)
            todo = retry
        return [a for a in results if a is not None], refused
