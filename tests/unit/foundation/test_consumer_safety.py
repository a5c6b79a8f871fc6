"""What samflyt changes in Faust's consumer so no record is skipped (issue 4): a partition whose
agent buffer runs full keeps being fetched, and a partition never committed is not committed past
its first record until that record is processed (it is read again instead)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from faust.types import TP

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


def _ack(consumer: Any, tp: TP, *offsets: int) -> None:
    for offset in offsets:
        consumer._acked[tp].append(offset)
        consumer._acked_index[tp].add(offset)


async def test_a_never_committed_partition_is_not_committed_past_an_unprocessed_first_record(
    consumer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rewound: list[tuple[TP, int]] = []

    async def seek(tp: TP, offset: int) -> None:
        rewound.append((tp, offset))

    monkeypatch.setattr(consumer, "seek", seek)
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


async def test_the_fetch_loop_delivers_records_read_again_after_a_seek(consumer: Any) -> None:
    consumer._read_offset[RAW] = 7  # a batch fetched before a rebalance's seek went this far
    assert consumer._read_offset[RAW] is None  # so offsets 0-6, read again, are not dropped
