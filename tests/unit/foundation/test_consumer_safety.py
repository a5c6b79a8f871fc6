"""What samflyt changes in Faust's consumer so no record is skipped (issue 4): a partition whose
agent buffer runs full keeps being fetched, and a partition is not committed past its first
record, or (at-least-once) past the record at its committed offset, until that record is
processed (it is read again instead)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from faust.types import TP

from streams import faust_patches
from streams.app import create_app
from streams.settings import load_settings

RAW = TP("samflyt.raw.epj", 0)
OTHER = TP("samflyt.raw.epj", 1)


@pytest_asyncio.fixture
async def consumer() -> AsyncIterator[Any]:
    """Built inside the running loop, so the app's consumer binds to it (nothing connects)."""
    app = create_app(load_settings(app_id="samflyt-buffer-test", worker_web_port=0))
    consumer: Any = app.consumer
    consumer._set_active_tps({RAW, OTHER})  # as after an assignment
    yield consumer
    consumer._thread.thread_loop.close()  # the consumer thread's loop, never started


async def test_a_full_agent_buffer_does_not_stop_fetching_its_partition(consumer: Any) -> None:
    consumer.on_buffer_full(RAW)
    assert consumer._get_active_partitions() == {RAW, OTHER}
    assert RAW not in consumer._buffered_partitions


async def test_a_rebalance_still_stops_fetching_a_revoked_partition(consumer: Any) -> None:
    consumer.pause_partitions({OTHER})
    assert consumer._get_active_partitions() == {RAW}
    consumer.resume_partitions({OTHER})
    assert consumer._get_active_partitions() == {RAW, OTHER}


@pytest.fixture
def rewound(consumer: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[TP, int]]:
    """The seeks the consumer makes, recorded instead of sent (every partition starts at 0)."""
    seeks: list[tuple[TP, int]] = []

    async def seek(consumer: Any, tp: TP, offset: int) -> None:
        seeks.append((tp, offset))

    async def earliest_offsets(*tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, consumer.__dict__.get("_test_first_offset", 0))

    monkeypatch.setattr(faust_patches, "_seek_in_consumer_thread", seek)
    monkeypatch.setattr(consumer, "earliest_offsets", earliest_offsets)
    return seeks


@pytest.fixture
def committed(consumer: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The final commit of a wait for records in flight, recorded; other commits do nothing."""
    finals: list[str] = []

    async def commit(*args: Any, **kwargs: Any) -> bool:
        return False

    async def commit_and_end_transactions() -> None:
        finals.append("final")

    monkeypatch.setattr(consumer, "commit", commit)
    monkeypatch.setattr(consumer, "commit_and_end_transactions", commit_and_end_transactions)
    return finals


def _ack(consumer: Any, tp: TP, *offsets: int) -> None:
    for offset in offsets:
        consumer._acked[tp].append(offset)
        consumer._acked_index[tp].add(offset)


async def test_a_never_committed_partition_is_not_committed_past_an_unprocessed_first_record(
    consumer: Any, rewound: list[tuple[TP, int]]
) -> None:
    consumer._samflyt_heads = {RAW: 0}
    _ack(consumer, RAW, 1, 2)  # offset 0 was fetched and dropped in a rebalance

    assert consumer._new_offset(RAW) is None  # nothing committed past it
    await asyncio.sleep(0)
    assert rewound == [(RAW, 0)]  # and it is read again

    _ack(consumer, RAW, 0)
    assert consumer._new_offset(RAW) == 3


async def test_a_committed_partition_commits_as_faust_does(consumer: Any) -> None:
    consumer._samflyt_heads = {RAW: 0}
    consumer._committed_offset[RAW] = 10
    _ack(consumer, RAW, 10, 11)
    assert consumer._new_offset(RAW) == 12


async def test_a_committed_partition_is_not_committed_past_a_record_skipped_after_the_commit(
    consumer: Any, rewound: list[tuple[TP, int]]
) -> None:
    consumer._committed_offset[RAW] = 171
    _ack(consumer, RAW, 172, 173)  # 171 arrived while Faust's flow was stopped: skipped
    assert consumer._new_offset(RAW) is None  # Faust alone commits 174 past a gap of one
    await asyncio.sleep(0)
    assert rewound == [(RAW, 171)]  # read again from the commit

    _ack(consumer, RAW, 171)
    assert consumer._new_offset(RAW) == 174


async def test_a_longer_skipped_run_is_read_again_too(
    consumer: Any, rewound: list[tuple[TP, int]]
) -> None:
    consumer._committed_offset[RAW] = 171
    _ack(consumer, RAW, 200, 201)
    assert consumer._new_offset(RAW) is None
    await asyncio.sleep(0)
    assert rewound == [(RAW, 171)]


async def test_a_commit_older_than_retention_moves_to_the_first_record_instead_of_rewinding(
    consumer: Any, rewound: list[tuple[TP, int]]
) -> None:
    consumer._committed_offset[RAW] = 171
    consumer._test_first_offset = 500  # retention deleted 171-499 while the group was down
    _ack(consumer, RAW, 500, 501)
    assert consumer._new_offset(RAW) is None
    await asyncio.sleep(0.01)
    assert rewound == []  # nothing to read again: 171 is gone
    assert consumer._new_offset(RAW) == 502  # commits from the first record that exists


async def test_a_rewind_seeks_in_the_consumer_thread(
    consumer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Faust's own seek changes aiokafka's fetcher from the main thread, racing the consumer
    # thread that drains it (a KeyError that crashed a worker)
    calls: list[tuple[Any, tuple[Any, ...]]] = []

    async def call_thread(fun: Any, *args: Any) -> None:
        calls.append((fun, args))

    monkeypatch.setattr(consumer._thread, "call_thread", call_thread)
    await faust_patches._seek_in_consumer_thread(consumer, RAW, 5)
    assert calls == [(consumer._thread.seek, (RAW, 5))]


async def test_rewinds_are_spaced_out(consumer: Any, rewound: list[tuple[TP, int]]) -> None:
    consumer._committed_offset[RAW] = 171
    _ack(consumer, RAW, 172)
    for _ in range(5):  # commits come every 0.1 s: one rewind, then it waits for the re-read
        assert consumer._new_offset(RAW) is None
    await asyncio.sleep(0)
    assert rewound == [(RAW, 171)]


async def test_under_exactly_once_a_gap_after_the_commit_is_left_to_faust() -> None:
    # transaction markers take offsets that no record has, so a gap there is not a skip
    app = create_app(
        load_settings(
            app_id="samflyt-eos-test", worker_web_port=0, processing_guarantee="exactly_once"
        )
    )
    consumer: Any = app.consumer
    try:
        consumer._committed_offset[RAW] = 171
        _ack(consumer, RAW, 172, 173)
        assert consumer._new_offset(RAW) == 174  # Faust's own rule, no rewind
    finally:
        consumer._thread.thread_loop.close()


async def test_the_fetch_loop_delivers_records_read_again_after_a_seek(consumer: Any) -> None:
    consumer._read_offset[RAW] = 7  # a batch fetched before a rebalance's seek went this far
    assert consumer._read_offset[RAW] is None  # so offsets 0-6, read again, are not dropped


async def test_a_stopping_worker_does_not_rewind(
    consumer: Any, rewound: list[tuple[TP, int]]
) -> None:
    consumer._samflyt_heads = {RAW: 0}
    _ack(consumer, RAW, 1, 2)
    consumer.app._stopped.set()  # as after a SIGTERM: should_stop
    assert consumer.app.should_stop
    assert consumer._new_offset(RAW) is None  # still nothing committed past the first record
    await asyncio.sleep(0)
    assert rewound == []  # but nothing fetched again: the next owner reads from the commit


class _InFlight:
    """A record handed to an agent that never acknowledges it (dropped in a rebalance)."""

    acked = False
    refcount = 1
    tp = RAW
    offset = 5


async def test_the_wait_for_records_in_flight_is_bounded(
    consumer: Any, committed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faust_patches, "WAIT_IN_FLIGHT_S", 0.3)
    stuck = _InFlight()
    consumer._unacked_messages.add(stuck)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(consumer.wait_empty(), timeout=5)
    assert loop.time() - started < 3  # not the unbounded wait that hung a stopping worker
    assert committed == ["final"]  # what was acknowledged is still committed


async def test_records_acknowledged_in_time_end_the_wait_as_before(
    consumer: Any, committed: list[str]
) -> None:
    record = _InFlight()
    consumer._unacked_messages.add(record)
    waiting = asyncio.ensure_future(consumer.wait_empty())
    await asyncio.sleep(0.05)
    record.acked = True  # the agent finishes it
    consumer._waiting_for_ack and consumer._waiting_for_ack.set_result(None)
    await asyncio.wait_for(waiting, timeout=5)
    assert committed == ["final"]


async def test_the_worker_consumer_fetches_as_the_settings_say() -> None:
    settings = load_settings(
        app_id="samflyt-fetch-test",
        worker_web_port=0,
        consumer_fetch_min_bytes=65536,
        consumer_fetch_max_wait_ms=20,
    )
    app = create_app(settings)
    thread: Any = app.consumer._thread
    kafka_consumer = thread._create_worker_consumer(app.transport)
    try:
        assert (kafka_consumer._fetch_min_bytes, kafka_consumer._fetch_max_wait_ms) == (65536, 20)
    finally:
        await kafka_consumer.stop()  # never started: closes its client
        thread.thread_loop.close()
