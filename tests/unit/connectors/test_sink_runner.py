from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import ClassVar

from connectors.sdk import (
    BadRecordError,
    Failure,
    Position,
    Record,
    RetriableError,
    RetryPolicy,
    Sink,
    SinkConfig,
    headers,
)
from connectors.sdk.testing import MemoryPublisher
from connectors.sink_runner import SinkLaneRunner


class FlakySink(Sink[SinkConfig]):
    name: ClassVar[str] = "flaky"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[SinkConfig]] = SinkConfig

    def __init__(self, config: SinkConfig, outage: int = 0) -> None:
        super().__init__(config)
        self.outage = outage
        self.written: list[bytes] = []

    async def write(self, records: Sequence[Record], lane: str = "default") -> Sequence[Failure]:
        if self.outage:
            self.outage -= 1
            raise RetriableError("503")
        failures = []
        for r in records:
            if r.value == b"bad":
                failures.append(Failure(r, BadRecordError("refused", code="http-400")))
            else:
                self.written.append(r.value)
        return failures


class ListReader:
    def __init__(self, records: list[Record]) -> None:
        self.records = records
        self.committed: list[Record] = []
        self.drained = asyncio.Event()

    async def read(self, max_records: int) -> Sequence[Record]:
        batch, self.records = self.records[:max_records], self.records[max_records:]
        if not batch:
            await asyncio.sleep(0.005)  # as a real consumer waits for new records
        return batch

    async def commit(self, records: Sequence[Record]) -> None:
        self.committed.extend(records)
        if not self.records:
            self.drained.set()


def rec(value: bytes, offset: int) -> Record:
    return Record(value, position=Position("deliveries:0", str(offset)))


def cfg(max_attempts: int | None = None) -> SinkConfig:
    return SinkConfig(
        topics=["deliveries"],
        dead_letter_topic="dlq",
        retry=RetryPolicy(initial_delay=0.001, max_delay=0.002, max_attempts=max_attempts),
    )


async def test_retriable_outage_is_retried_until_everything_is_written_once() -> None:
    sink = FlakySink(cfg(), outage=3)
    runner = SinkLaneRunner(sink, "default", ListReader([]), MemoryPublisher())
    await runner.deliver([rec(b"a", 0), rec(b"b", 1)], asyncio.Event())
    assert sink.written == [b"a", b"b"]


async def test_bad_record_is_dead_lettered_with_origin_and_the_rest_written() -> None:
    sink, pub = FlakySink(cfg()), MemoryPublisher()
    reader = ListReader([rec(b"a", 0), rec(b"bad", 1), rec(b"c", 2)])
    runner = SinkLaneRunner(sink, "default", reader, pub)
    stop = asyncio.Event()
    task = asyncio.ensure_future(runner.run(stop))
    await asyncio.wait_for(reader.drained.wait(), 5)
    stop.set()
    await task
    assert sink.written == [b"a", b"c"]
    (dead,) = pub.on("dlq")
    get = lambda name: headers.get_header(dead.headers, name)  # noqa: E731
    assert dead.value == b"bad"
    assert (get(headers.ERROR_STAGE), get(headers.ERROR_CODE)) == ("sink", "http-400")
    assert (get(headers.ERROR_TOPIC), get(headers.ERROR_PARTITION), get(headers.ERROR_OFFSET)) == (
        "deliveries",
        "0",
        "1",
    )


async def test_exhausted_retries_dead_letter_the_record_and_carry_on() -> None:
    sink, pub = FlakySink(cfg(max_attempts=2), outage=5), MemoryPublisher()
    runner = SinkLaneRunner(sink, "default", ListReader([]), pub)
    await runner.deliver([rec(b"a", 0)], asyncio.Event())
    (dead,) = pub.on("dlq")
    assert "gave up after 2 attempts" in (
        headers.get_header(dead.headers, headers.ERROR_REASON) or ""
    )


async def test_stop_during_an_outage_leaves_the_batch_uncommitted() -> None:
    sink = FlakySink(cfg(), outage=10**6)
    reader = ListReader([rec(b"a", 0)])
    runner = SinkLaneRunner(sink, "default", reader, MemoryPublisher())
    stop = asyncio.Event()
    task = asyncio.ensure_future(runner.run(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await task
    assert reader.committed == []


# --- delivery confirmations (the journey's delivered step) ---------------------------------------


def routed(value: bytes, offset: int, delivery_id: str) -> Record:
    """A delivery as the route stage sends it: its ids in the headers."""
    hs = headers.with_header((("traceparent", b"00-aa-bb-01"),), headers.DELIVERY_ID, delivery_id)
    hs = headers.with_header(hs, headers.MESSAGE_ID, f"m-{delivery_id}")
    hs = headers.with_header(hs, headers.RECIPIENT_KEY, "k" * 64)
    return Record(value, key=b"902", headers=hs, position=Position("deliveries:0", str(offset)))


async def test_each_routed_delivery_written_is_confirmed_once_with_its_ids() -> None:
    sink, pub = FlakySink(cfg(max_attempts=5), outage=1), MemoryPublisher()
    records = [routed(b"a", 0, "d1"), routed(b"bad", 1, "d2"), rec(b"raw", 2)]
    records.append(routed(b"c", 3, "d3"))
    runner = SinkLaneRunner(sink, "lane-1", ListReader([]), pub)
    await runner.deliver(records, asyncio.Event())
    confirmed = pub.on("samflyt.deliveries.confirmed")
    # the dead-lettered one and the one without a delivery id are not confirmed
    assert [headers.get_header(c.headers, headers.DELIVERY_ID) for c in confirmed] == ["d1", "d3"]
    first = confirmed[0]
    assert first.value == b"" and first.key == b"902"
    assert headers.get_header(first.headers, headers.MESSAGE_ID) == "m-d1"
    assert headers.get_header(first.headers, headers.RECIPIENT_KEY) == "k" * 64
    assert headers.get_header(first.headers, "traceparent") == "00-aa-bb-01"
    assert headers.get_header(first.headers, headers.CONNECTOR) == "flaky"
    assert headers.get_header(first.headers, headers.SINK_LANE) == "lane-1"


async def test_a_sink_without_a_confirmation_topic_confirms_nothing() -> None:
    config = cfg().model_copy(update={"confirmation_topic": None})
    pub = MemoryPublisher()
    runner = SinkLaneRunner(FlakySink(config), "default", ListReader([]), pub)
    await runner.deliver([routed(b"a", 0, "d1")], asyncio.Event())
    assert pub.sent == []


async def test_confirmations_the_broker_refuses_are_retried_then_given_up_not_blocking() -> None:
    sink, pub = FlakySink(cfg()), MemoryPublisher()
    runner = SinkLaneRunner(sink, "default", ListReader([]), pub)
    pub.fail_next = 2  # two refusals: retried, then published
    await runner.deliver([routed(b"a", 0, "d1")], asyncio.Event())
    assert len(pub.on("samflyt.deliveries.confirmed")) == 1
    pub.fail_next = 100  # never: the lane goes on, the records stay written, the loss counted
    await asyncio.wait_for(runner.deliver([routed(b"b", 1, "d2")], asyncio.Event()), 5)
    assert sink.written == [b"a", b"b"]
    assert runner.unconfirmed_count == 1
