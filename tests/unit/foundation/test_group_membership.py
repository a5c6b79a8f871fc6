"""How soon the group notices a dead worker, and static membership for planned restarts
(issue 25): the settings reach the consumer Faust builds for the worker."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.errors import ConfigError
from streams.app import create_app
from streams.settings import load_settings


async def _worker_consumer(**overrides: Any) -> Any:
    app = create_app(load_settings(app_id="samflyt-group-test", worker_web_port=0, **overrides))
    faust_consumer: Any = app.consumer
    thread = faust_consumer._thread
    consumer = thread._create_worker_consumer(app.transport)
    await consumer.stop()  # never started: closes its client
    thread.thread_loop.close()
    return consumer


async def test_a_dead_worker_is_noticed_within_seconds_not_a_minute() -> None:
    consumer = await _worker_consumer()
    # Faust's own default is a 60 s session with 3 s heartbeats
    assert consumer._session_timeout_ms <= 10_000
    assert consumer._heartbeat_interval_ms * 3 <= consumer._session_timeout_ms
    assert consumer._group_instance_id is None  # dynamic membership unless asked for


async def test_the_worker_instance_id_makes_the_membership_static() -> None:
    consumer = await _worker_consumer(
        worker_instance_id="samflyt-worker-0",
        kafka_session_timeout_seconds=30,
        kafka_heartbeat_interval_seconds=2,
    )
    assert consumer._group_instance_id == "samflyt-worker-0"
    assert (consumer._session_timeout_ms, consumer._heartbeat_interval_ms) == (30_000, 2_000)


def test_heartbeats_must_fit_three_times_in_a_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMFLYT_KAFKA_HEARTBEAT_INTERVAL_SECONDS", "3")
    with pytest.raises(ConfigError, match="SAMFLYT_KAFKA_HEARTBEAT_INTERVAL_SECONDS"):
        load_settings(kafka_session_timeout_seconds=6)
    with pytest.raises(ConfigError, match="SAMFLYT_KAFKA_SESSION_TIMEOUT_SECONDS"):
        load_settings(kafka_session_timeout_seconds=3)  # below the broker's least session
