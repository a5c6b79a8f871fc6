"""The Kafka side of the runner: a tuned idempotent producer, consumers, and the read-back that
resolves claims a crash left pending.

Producing awaits the send futures of a whole batch together (``send`` per record, then one
``gather``), never ``send_and_wait`` per record, so a batch costs about one round trip.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.codec import has_lz4, has_zstd
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from .kafka_security import (
    KafkaAccessError,
    KafkaConnection,
    explain_kafka_error,
    start_client,
)
from .positions import Pending, Published, claim_id
from .sdk.headers import MESSAGE_ID, Headers
from .sdk.records import MAX_RECORD_BYTES, Position, Record

__all__ = [
    "Ack",
    "KafkaBatchReader",
    "KafkaPublisher",
    "Outgoing",
    "Publisher",
    "find_published",
    "offsets_after",
    "producer_settings",
    "read_from",
    "records_behind",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record to produce."""

    topic: str
    value: bytes
    key: bytes | None
    headers: Headers


@dataclass(frozen=True, slots=True)
class Ack:
    topic: str
    partition: int
    offset: int


class Publisher(Protocol):
    async def publish(self, items: Sequence[Outgoing]) -> list[Ack | BaseException]:
        """Produce ``items``; one result per item, in order: its Ack or the error it failed with
        (errors are returned, not raised, so the caller can retry only the failed items)."""


def producer_settings() -> dict[str, Any]:
    """Producer tuning: small linger for batching, large batches, zstd when its codec is
    installed (lz4 otherwise: aiokafka runs lz4 at level 9, ~6x slower than zstd level 3 and
    a third of its ratio on health XML), and the idempotent producer with acks=all (no
    duplicates from retries)."""
    return {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "max_batch_size": 512 * 1024,
        "compression_type": "zstd" if has_zstd() else "lz4" if has_lz4() else None,
        "request_timeout_ms": 30_000,
        "max_request_size": MAX_RECORD_BYTES,
    }


class KafkaPublisher:
    """A :class:`Publisher` on an :class:`aiokafka.AIOKafkaProducer`."""

    def __init__(self, kafka: KafkaConnection, client_id: str) -> None:
        self.kafka = kafka
        self._producer = AIOKafkaProducer(
            client_id=client_id, **kafka.options(), **producer_settings()
        )

    async def start(self) -> None:
        await start_client(self._producer, self.kafka)

    async def stop(self) -> None:
        await self._producer.stop()

    async def partitions(self, topic: str) -> set[int]:
        """The partition numbers of ``topic`` (waits for its metadata)."""
        return set(await self._producer.partitions_for(topic))

    async def require_topics(self, topics: Iterable[str]) -> None:
        """Stop start-up when the broker does not let this principal see a topic it needs
        (an ACL is missing), instead of failing record by record later."""
        for topic in topics:
            try:
                await self.partitions(topic)
            except KafkaError as exc:
                refused = explain_kafka_error(exc, self.kafka)
                if refused is None:
                    raise
                raise KafkaAccessError(f"topic {topic}: {refused}") from None

    async def publish(self, items: Sequence[Outgoing]) -> list[Ack | BaseException]:
        futures: list[asyncio.Future[Any]] = []
        for item in items:
            try:
                future = await self._producer.send(
                    item.topic, item.value, key=item.key, headers=list(item.headers)
                )
            except KafkaError as exc:  # e.g. no metadata yet: the caller decides on `retriable`
                future = asyncio.get_running_loop().create_future()
                future.set_exception(exc)
            futures.append(future)
        results = await asyncio.gather(*futures, return_exceptions=True)
        return [
            r if isinstance(r, BaseException) else Ack(r.topic, r.partition, r.offset)
            for r in results
        ]


async def find_published(
    publisher: KafkaPublisher,
    pending: Sequence[Pending],
    margin_s: float = 300.0,
) -> list[Published]:
    """Which pending claims did reach their topic before the crash?

    Reads each topic from the earliest claim (minus ``margin_s`` for clock skew) to its current
    end and looks for the ``samflyt.message-id`` header. Called at start-up only, after the
    crashed producer is gone, so nothing it sent can still arrive.
    """
    if not pending:
        return []
    wanted = {p.message_id for p in pending}
    found: list[Published] = []
    for topic in sorted({p.topic for p in pending}):
        since = min(p.claimed_at for p in pending if p.topic == topic).timestamp() - margin_s
        partitions = [TopicPartition(topic, p) for p in await publisher.partitions(topic)]
        found.extend(await _scan(publisher.kafka, partitions, int(since * 1000), wanted))
    return found


async def _scan(
    kafka: KafkaConnection, partitions: list[TopicPartition], since_ms: int, wanted: set[str]
) -> list[Published]:
    consumer = AIOKafkaConsumer(
        **kafka.options(),
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
    )
    await start_client(consumer, kafka)
    try:
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.offsets_for_times({tp: since_ms for tp in partitions})
        todo: dict[TopicPartition, int] = {}
        for tp in partitions:
            start = starts.get(tp)
            offset = start.offset if start is not None else ends[tp]
            if offset < ends[tp]:
                consumer.seek(tp, offset)
                todo[tp] = ends[tp]
        found: list[Published] = []
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=1000)
            for tp, messages in batch.items():
                for msg in messages:
                    mid = claim_id(msg.key, _message_id(msg.headers))
                    if mid in wanted:
                        found.append(Published(mid, tp.topic, tp.partition, msg.offset))
                    if msg.offset + 1 >= todo.get(tp, 0):
                        todo.pop(tp, None)
        return found
    finally:
        await consumer.stop()


def _message_id(headers: Iterable[tuple[str, bytes | None]]) -> str | None:
    for key, value in headers:
        if key == MESSAGE_ID:  # empty or without a value: no id to key on
            return value.decode("utf-8", errors="replace") if value else None
    return None


def read_from(record: Record) -> TopicPartition:
    """The partition a :class:`KafkaBatchReader` read ``record`` from (its ``position``)."""
    if record.position is None:
        raise ValueError("the record was not read from Kafka: it has no position")
    topic, _, partition = record.position.stream.rpartition(":")
    return TopicPartition(topic, int(partition))


def offsets_after(records: Iterable[Record]) -> dict[TopicPartition, int]:
    """What to commit once ``records`` are done: per partition, one past the highest offset
    (records without a position are not Kafka's and are passed over)."""
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        if record.position is None:
            continue
        tp = read_from(record)
        offsets[tp] = max(offsets.get(tp, 0), int(record.position.offset) + 1)
    return offsets


def _timestamp(ms: int | None) -> datetime | None:
    """Kafka's record time (milliseconds since the epoch; -1 or None when there is none)."""
    return datetime.fromtimestamp(ms / 1000, UTC) if ms is not None and ms > 0 else None


class KafkaBatchReader:
    """A consumer for writers that commit after each batch: manual commits, read_committed,
    offsets past each batch. Used by the sink lanes and by the journey recorder."""

    def __init__(
        self,
        kafka: KafkaConnection,
        topics: Sequence[str],
        group_id: str,
        *,
        fetch_min_bytes: int = 1,
        fetch_max_wait_ms: int = 500,
    ) -> None:
        """``fetch_min_bytes`` / ``fetch_max_wait_ms``: how much the broker gathers before it
        answers a fetch (aiokafka's defaults: answer at once). A reader that batches anyway
        asks for more, so a steady trickle costs a few fetches a second, not one per record."""
        self.kafka = kafka
        self._consumer = AIOKafkaConsumer(
            *topics,
            **kafka.options(),
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            fetch_min_bytes=fetch_min_bytes,
            fetch_max_wait_ms=fetch_max_wait_ms,
            max_partition_fetch_bytes=MAX_RECORD_BYTES,
        )

    async def start(self) -> None:
        await start_client(self._consumer, self.kafka)

    async def stop(self) -> None:
        await self._consumer.stop()

    async def read(self, max_records: int, timeout_ms: int = 500) -> Sequence[Record]:
        """What has been fetched, up to ``max_records``; waits up to ``timeout_ms`` for the
        first record when nothing has."""
        try:
            batch = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        except KafkaError as exc:  # a refused topic or group stops the reader, not a retry
            refused = explain_kafka_error(exc, self.kafka)
            if refused is None:
                raise
            raise refused from None
        records: list[Record] = []
        for tp, messages in batch.items():
            for msg in messages:
                # Kafka allows a header without a value; read as empty, not as a crash that
                # would stop the reader on the same record after every restart
                headers = tuple((k, b"" if v is None else bytes(v)) for k, v in msg.headers)
                records.append(
                    Record(
                        value=msg.value or b"",
                        key=msg.key,
                        headers=headers,
                        position=Position(f"{tp.topic}:{tp.partition}", str(msg.offset)),
                        message_id=_message_id(headers),
                        timestamp=_timestamp(msg.timestamp),
                    )
                )
        return records

    def behind(self) -> int:
        """Records of the assigned partitions not yet read, as of the last fetch (0 for a
        partition with no position or end known yet): how far this reader lags."""
        consumer = self._consumer
        assignment = consumer._subscription.subscription
        ends: dict[TopicPartition, int | None] = {}
        positions: dict[TopicPartition, int | None] = {}
        if assignment is None or assignment.assignment is None:
            return 0
        for tp in consumer.assignment():
            state = assignment.assignment.state_value(tp)
            lso = state.lso if state.lso is not None and state.lso >= 0 else None
            ends[tp] = lso if lso is not None else state.highwater
            positions[tp] = state.position if state.has_valid_position else None
        return records_behind(ends, positions)

    async def commit(self, records: Sequence[Record]) -> None:
        """Commit the offsets past ``records``.

        A rebalance between the read and the commit is routine: the partitions this consumer
        lost are left out, and a commit the group refuses because its membership changed is
        given up. Either way the new owner reads those records again from the last commit,
        which every writer behind this reader tolerates (a batch may come twice); raising
        would stop the consumer on an ordinary scale-out.
        """
        offsets = offsets_after(records)
        owned = self._consumer.assignment()
        kept = {tp: offset for tp, offset in offsets.items() if tp in owned}
        if len(kept) < len(offsets):
            log.info(
                "partitions moved during a batch; their new owner reads it again",
                extra={"moved": len(offsets) - len(kept)},
            )
        if not kept:
            return
        try:
            await self._consumer.commit(kept)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning(
                "commit refused after a rebalance; the batch is read again",
                extra={"error": type(exc).__name__},
            )


def records_behind(
    ends: Mapping[TopicPartition, int | None], positions: Mapping[TopicPartition, int | None]
) -> int:
    """Sum over partitions of end offset minus position, where both are known."""
    return sum(
        max(0, end - position)
        for tp, end in ends.items()
        if end is not None and (position := positions.get(tp)) is not None
    )
