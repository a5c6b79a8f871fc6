"""After a database outage the journey catches up within seconds (issue 25): the recorder's
backoff is capped, and how far it is behind is a metric."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from connectors.kafka import records_behind
from connectors.sdk.records import Record
from streams.journey import recorder as recorder_module
from streams.journey import store
from streams.journey.recorder import JourneyRecorder

_real_sleep = asyncio.sleep


def _recorded_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The backoff's waits, recorded instead of waited (asyncio.sleep is one object)."""
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)
        await _real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return waits


async def test_a_long_database_outage_never_makes_the_recorder_wait_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits = _recorded_sleeps(monkeypatch)
    failures = iter(range(12))  # a minute or so of outage: twelve failed attempts

    async def write() -> None:
        if next(failures, None) is not None:
            raise OSError("connection refused")

    assert await store.with_retry(write)
    assert len(waits) == 12
    assert waits[0] < waits[1] < waits[2]  # still a backoff
    assert max(waits) <= 5.0  # never the 25.6 s that left the journey ~21 s behind


def test_how_far_behind_counts_only_partitions_with_a_known_end_and_position() -> None:
    a, b, c = (TopicPartition("samflyt.decisions", n) for n in range(3))
    ends = {a: 120, b: None, c: 40}
    positions = {a: 100, b: 5, c: 45}  # c: read past a stale end, not behind
    assert records_behind(ends, positions) == 20
    assert records_behind({a: 10}, {}) == 0


class _Reader:
    """Three records, then nothing; 7 more unread on the broker until they are committed."""

    def __init__(self) -> None:
        self.batches: list[Sequence[Record]] = [[Record(value=b"") for _ in range(3)]]
        self.unread = 7

    def behind(self) -> int:
        return self.unread

    async def read(self, max_records: int, timeout_ms: int = 500) -> Sequence[Record]:
        if self.batches:
            return self.batches.pop()
        await _real_sleep(0.01)
        return []

    async def commit(self, records: Sequence[Record]) -> None:
        self.unread = 0


async def test_the_journey_lag_counts_the_batch_held_during_an_outage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _recorded_sleeps(monkeypatch)
    lag_during: list[float] = []
    attempts = iter([OSError("database away"), None])

    async def write(*_: Any) -> None:
        lag_during.append(REGISTRY.get_sample_value("samflyt_journey_lag") or 0.0)
        error = next(attempts)
        if error is not None:
            raise error

    monkeypatch.setattr(recorder_module, "collect", lambda *_: (["row"], []))
    monkeypatch.setattr(recorder_module, "insert_rows", write)
    monkeypatch.setattr(recorder_module, "insert_dead_letters", _nothing)
    pipeline: Any = SimpleNamespace(settings=SimpleNamespace(topic=str), codec=None, counts={})
    pipeline.counts = {"journey.rows": 0}
    recorder = JourneyRecorder(pipeline)
    recorder._pool = _Pool()
    reader: Any = _Reader()
    task = asyncio.ensure_future(recorder._consume(reader))
    while reader.unread:
        await _real_sleep(0.01)
    task.cancel()
    assert lag_during == [10.0, 10.0]  # 7 unread + 3 in hand, while the write is retried
    assert REGISTRY.get_sample_value("samflyt_journey_lag") == 0.0  # written and committed


async def _nothing(*_: Any) -> None:
    return None


class _Pool:
    def acquire(self) -> Any:
        return _Conn()


class _Conn:
    async def __aenter__(self) -> _Conn:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    def transaction(self) -> Any:
        return self
