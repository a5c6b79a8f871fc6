from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from connectors.positions import MemoryPositionStore, Published
from connectors.sdk import (
    BadRecordError,
    Position,
    Record,
    RetryPolicy,
    Source,
    SourceConfig,
    headers,
    is_valid_traceparent,
)
from connectors.sdk.testing import MemoryPublisher
from connectors.source_runner import SourceRunner


class ListSource(Source[SourceConfig]):
    """Hands out a fixed list, resuming after the committed index."""

    name: ClassVar[str] = "list"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[SourceConfig]] = SourceConfig
    items: ClassVar[list[Record]] = []

    async def on_start(self, committed: Mapping[str, str]) -> None:
        self.next = int(committed.get("list", "-1")) + 1
        self.committed: list[Record] = []

    async def poll(self, max_records: int) -> Sequence[Record]:
        batch = self.items[self.next : self.next + max_records]
        self.next += len(batch)
        return batch

    async def commit(self, records: Sequence[Record]) -> None:
        self.committed.extend(records)


def rec(i: int, message_id: str | None = None) -> Record:
    return Record(
        f"v{i}".encode(),
        position=Position("list", str(i)),
        message_id=message_id if message_id is not None else f"m{i}",
    )


def config(**kw: object) -> SourceConfig:
    return SourceConfig(topic="raw", retry=RetryPolicy(initial_delay=0.001, max_delay=0.002), **kw)


async def test_publishes_commits_positions_and_stamps_headers() -> None:
    ListSource.items = [rec(0), rec(1)]
    store, pub = MemoryPositionStore(), MemoryPublisher()
    runner = SourceRunner(ListSource(config()), pub, store)
    await runner.source.start({})
    await runner.process(await runner.source.poll(10))
    assert [o.value for o in pub.on("raw")] == [b"v0", b"v1"]
    assert await store.load("list") == {"list": "1"}
    for out in pub.on("raw"):
        assert headers.get_header(out.headers, headers.CONNECTOR) == "list"
        assert headers.get_header(out.headers, headers.RECEIVED_AT)
        assert is_valid_traceparent(headers.get_header(out.headers, headers.TRACEPARENT))
    assert len(runner.source.committed) == 2


async def test_an_existing_traceparent_is_kept() -> None:
    tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    ListSource.items = [rec(0).with_header(headers.TRACEPARENT, tp)]
    pub = MemoryPublisher()
    runner = SourceRunner(ListSource(config()), pub, MemoryPositionStore())
    await runner.source.start({})
    await runner.process(await runner.source.poll(10))
    assert headers.get_header(pub.sent[0].headers, headers.TRACEPARENT) == tp


async def test_duplicate_message_ids_are_published_once() -> None:
    ListSource.items = [rec(0, "same"), rec(1, "same"), rec(2)]
    store, pub = MemoryPositionStore(), MemoryPublisher()
    runner = SourceRunner(ListSource(config()), pub, store)
    await runner.source.start({})
    await runner.process(await runner.source.poll(10))
    await runner.process([rec(3, "m2")])  # already published earlier
    assert pub.message_ids("raw") == ["same", "m2"]
    assert runner.skipped_count == 2
    assert len(runner.source.committed) == 4  # skipped ones are committed too


async def test_a_rejected_record_goes_to_the_dead_letter_topic_with_error_headers() -> None:
    bad = Record(b"<broken", position=Position("list", "0")).rejected(
        BadRecordError("not well-formed", code="T01")
    )
    ListSource.items = [bad, rec(1)]
    pub = MemoryPublisher()
    runner = SourceRunner(ListSource(config(dead_letter_topic="dlq")), pub, MemoryPositionStore())
    await runner.source.start({})
    await runner.process(await runner.source.poll(10))
    (dead,) = pub.on("dlq")
    assert dead.value == b"<broken"
    get = lambda name: headers.get_header(dead.headers, name)  # noqa: E731
    assert (get(headers.ERROR_CODE), get(headers.ERROR_STAGE)) == ("T01", "source")
    assert get(headers.ERROR_CONNECTOR) == "list" and "well-formed" in (
        get(headers.ERROR_REASON) or ""
    )
    assert len(pub.on("raw")) == 1


class Retriable(Exception):
    retriable = True


async def test_retriable_broker_errors_are_retried_only_for_the_failed_records() -> None:
    ListSource.items = [rec(0), rec(1), rec(2)]
    pub = MemoryPublisher()
    pub.fail_next, pub.error = 2, Retriable("not enough replicas")
    runner = SourceRunner(ListSource(config()), pub, MemoryPositionStore())
    await runner.source.start({})
    await runner.process(await runner.source.poll(10))
    assert sorted(pub.message_ids("raw")) == ["m0", "m1", "m2"]


async def test_a_fatal_broker_error_dead_letters_the_record() -> None:
    ListSource.items = [rec(0)]
    pub = MemoryPublisher()
    pub.fail_next, pub.error = 1, ValueError("record too large")
    runner = SourceRunner(ListSource(config(dead_letter_topic="dlq")), pub, MemoryPositionStore())
    await runner.source.start({})
    await runner.process(await runner.source.poll(10))
    (dead,) = pub.on("dlq")
    assert headers.get_header(dead.headers, headers.ERROR_STAGE) == "publish"


class RecordTooLarge(Exception):
    pass


async def test_a_record_the_broker_refuses_is_committed_with_its_error_and_a_resend_is_taken(
) -> None:
    ListSource.items = [rec(0), rec(1)]
    store, pub = MemoryPositionStore(), MemoryPublisher()
    pub.fail_next, pub.error = 1, RecordTooLarge("larger than the topic's max.message.bytes")
    runner = SourceRunner(ListSource(config(dead_letter_topic="dlq")), pub, store)
    await runner.source.start({})
    await runner.process(await runner.source.poll(10))
    refused, good = runner.source.committed
    assert refused.error is not None and refused.error.code == "RecordTooLarge"
    assert "max.message.bytes" in str(refused.error)
    assert good.error is None
    assert set(store.published["list"]) == {"m1"} and not await store.pending("list")
    # the sender sends the same message again (smaller): it is published, not skipped
    await runner.process([rec(0)])
    assert pub.message_ids("raw") == ["m1", "m0"]


async def test_message_ids_are_deduplicated_per_sender_and_empty_ones_not_at_all() -> None:
    def keyed(i: int, sender: bytes, message_id: str) -> Record:
        return Record(
            f"v{i}".encode(), key=sender, position=Position("list", str(i)), message_id=message_id
        )

    ListSource.items = [
        keyed(0, b"56704", "1001"),
        keyed(1, b"77777", "1001"),  # another sender's message with the same (non-UUID) id
        keyed(2, b"56704", "1001"),  # the first sender's message again
        keyed(3, b"11111", ""),  # no id: published every time, never skipped
        keyed(4, b"11111", ""),
    ]
    pub = MemoryPublisher()
    runner = SourceRunner(ListSource(config()), pub, MemoryPositionStore())
    await runner.source.start({})
    await runner.process(await runner.source.poll(10))
    assert [o.value for o in pub.on("raw")] == [b"v0", b"v1", b"v3", b"v4"]
    assert runner.skipped_count == 1


async def test_recovery_marks_found_claims_published_and_forgets_the_rest() -> None:
    store, pub = MemoryPositionStore(), MemoryPublisher()
    await store.claim("list", [("m0", "raw"), ("m1", "raw")])  # a crash left these pending

    async def read_back(pending: object) -> list[Published]:
        return [Published("m0", "raw", 0, 7)]  # only m0 reached the topic

    ListSource.items = [rec(0), rec(1)]
    runner = SourceRunner(ListSource(config()), pub, store, recover=read_back)
    await runner.recover()
    assert await store.pending("list") == []
    await runner.source.start(await store.load("list"))
    await runner.process(await runner.source.poll(10))
    assert pub.message_ids("raw") == ["m1"]


async def test_resumes_after_the_committed_position() -> None:
    ListSource.items = [rec(0), rec(1), rec(2)]
    store, pub = MemoryPositionStore(), MemoryPublisher()
    first = SourceRunner(ListSource(config(batch_size=2)), pub, store)
    await first.source.start(await store.load("list"))
    await first.process(await first.source.poll(2))
    second = SourceRunner(ListSource(config()), pub, store)
    await second.source.start(await store.load("list"))
    await second.process(await second.source.poll(10))
    assert pub.message_ids("raw") == ["m0", "m1", "m2"]


async def test_a_dead_letter_the_broker_refuses_goes_again_without_its_bytes() -> None:
    ListSource.items = [rec(0)]
    pub = MemoryPublisher()
    # the record, then its dead letter (same bytes), are refused as too large
    pub.fail_next, pub.error = 2, ValueError("MessageSizeTooLargeError")
    runner = SourceRunner(ListSource(config(dead_letter_topic="dlq")), pub, MemoryPositionStore())
    await runner.source.start({})
    await runner.process(await runner.source.poll(10))
    (dead,) = pub.on("dlq")
    assert dead.value == b"" and dead.key is None
    dropped = headers.get_header(dead.headers, headers.ERROR_VALUE_DROPPED)
    assert dropped is not None and dropped.startswith("2 bytes not carried")
    assert headers.get_header(dead.headers, headers.ERROR_STAGE) == "publish"
    assert len(runner.source.committed) == 1  # the batch goes on; the source keeps the bytes
