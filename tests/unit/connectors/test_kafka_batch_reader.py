"""The batch reader's pure side: what it makes of fetched records and which offsets it commits,
including after a rebalance moved partitions away mid-batch (no broker: a stand-in consumer)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError
from aiokafka.structs import ConsumerRecord

from connectors.kafka import KafkaBatchReader, offsets_after, read_from
from connectors.sdk.headers import MESSAGE_ID
from connectors.sdk.records import Position, Record

A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


def _record(tp: TopicPartition, offset: int) -> Record:
    return Record(b"v", position=Position(f"{tp.topic}:{tp.partition}", str(offset)))


def _fetched(tp: TopicPartition, offset: int, timestamp: int, **extra: Any) -> ConsumerRecord:
    values: dict[str, Any] = {
        "topic": tp.topic,
        "partition": tp.partition,
        "offset": offset,
        "timestamp": timestamp,
        "timestamp_type": 0,
        "key": b"k",
        "value": b"v",
        "checksum": None,
        "serialized_key_size": 1,
        "serialized_value_size": 1,
        "headers": [],
    }
    values.update(extra)
    return ConsumerRecord(**values)


class StandIn:
    """What the reader uses of an AIOKafkaConsumer."""

    def __init__(self, assigned: set[TopicPartition], refuse: BaseException | None = None) -> None:
        self.assigned = assigned
        self.refuse = refuse
        self.fetched: dict[TopicPartition, list[ConsumerRecord]] = {}
        self.commits: list[dict[TopicPartition, int]] = []

    async def getmany(self, timeout_ms: int, max_records: int) -> Any:
        return self.fetched

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.commits.append(offsets)


def _reader(consumer: StandIn) -> KafkaBatchReader:
    reader = object.__new__(KafkaBatchReader)  # no AIOKafkaConsumer: nothing to connect
    reader._consumer = consumer  # type: ignore[assignment]
    return reader


def test_offsets_after_are_one_past_the_highest_offset_per_partition() -> None:
    records = [_record(A0, 7), _record(B0, 3), _record(A0, 5), _record(A1, 0), Record(b"x")]
    assert offsets_after(records) == {A0: 8, A1: 1, B0: 4}
    assert offsets_after([]) == {}
    assert read_from(_record(TopicPartition("test.x.canonical.events", 3), 9)) == TopicPartition(
        "test.x.canonical.events", 3
    )
    with pytest.raises(ValueError, match="position"):
        read_from(Record(b"x"))


async def test_read_gives_position_message_id_and_the_kafka_time_in_utc() -> None:
    consumer = StandIn({A0})
    ms = 1_772_352_000_123  # 2026-03-01T08:00:00.123Z
    consumer.fetched = {
        A0: [
            _fetched(A0, 41, ms, headers=[(MESSAGE_ID, b"m-1"), ("traceparent", b"t")]),
            _fetched(A0, 42, -1, value=None),  # no time (and a tombstone)
        ]
    }
    first, second = await _reader(consumer).read(500)
    assert first.position == Position("a:0", "41") and first.message_id == "m-1"
    assert first.headers == ((MESSAGE_ID, b"m-1"), ("traceparent", b"t"))
    assert first.timestamp == datetime(2026, 3, 1, 8, 0, 0, 123000, tzinfo=UTC)
    assert second.timestamp is None and second.value == b""


async def test_a_header_without_a_value_reads_as_empty() -> None:
    consumer = StandIn({A0})
    consumer.fetched = {A0: [_fetched(A0, 1, -1, headers=[(MESSAGE_ID, None), ("x", None)])]}
    [record] = await _reader(consumer).read(500)
    assert record.headers == ((MESSAGE_ID, b""), ("x", b""))
    assert record.message_id is None  # an empty id would make every such record the same


async def test_commit_leaves_out_partitions_a_rebalance_took_away() -> None:
    consumer = StandIn({A0, B0})
    await _reader(consumer).commit([_record(A0, 1), _record(A1, 9), _record(B0, 2)])
    assert consumer.commits == [{A0: 2, B0: 3}]  # A1's new owner reads its records again
    consumer.assigned = set()  # in the middle of a rebalance: nothing to commit
    await _reader(consumer).commit([_record(A0, 5)])
    assert len(consumer.commits) == 1


@pytest.mark.parametrize("refusal", [CommitFailedError(), IllegalStateError("not assigned")])
async def test_a_commit_the_changed_group_refuses_is_given_up(refusal: Exception) -> None:
    consumer = StandIn({A0}, refuse=refusal)
    await _reader(consumer).commit([_record(A0, 1)])  # logged, not raised: the batch comes again
    assert consumer.commits == []
