"""A partition whose agent buffer runs full keeps being fetched (issue 4): faust-streaming took
such a partition out of the fetch set and did not always put it back, so its records waited
forever or were skipped and committed past."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

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
