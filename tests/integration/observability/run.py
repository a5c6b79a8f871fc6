"""Run the pipeline in-process over synthetic traffic and keep what observability produced."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from streams import harness
from streams.admin import ensure_topics
from streams.pipeline import Pipeline, build_pipeline
from streams.registries.feed import publish_registry
from streams.registries.seed import seed_registry
from streams.settings import Settings, load_settings
from streams.synthetic import SyntheticWorld, TrafficItem
from streams.telemetry import add_exporter
from tests.integration.conftest import grant_test_principals, new_test_prefix

EXPORTER = InMemorySpanExporter()  # one per process: the tracer provider is process-wide


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_for(
    kafka_bootstrap: str, database_url: str, prefixes: list[str], **overrides: Any
) -> Settings:
    """Settings of one run; its topics (and changelogs) are deleted with the session's."""
    prefix = new_test_prefix(prefixes)
    run = prefix.split(".")[1]
    values: dict[str, Any] = {
        "kafka_bootstrap": kafka_bootstrap,
        "database_url": database_url,
        "topic_prefix": prefix,
        "app_id": f"samflyt-test-{run}",
        "environment": "test",
        "worker_web_port": 0,
        "partitions": 2,
        "overdue_after": timedelta(seconds=3),
        "metrics_port": free_port(),
    }
    values.update(overrides)
    private = "kafka_credentials_dir" in overrides
    return grant_test_principals(load_settings(**values), cleanup=not private)


@dataclass
class Observed:
    settings: Settings
    world: SyntheticWorld
    items: list[TrafficItem]
    outputs: harness.Outputs
    spans: list[ReadableSpan]
    metrics: str
    health: int
    ready: int
    journey: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)


async def wait_journey(pool: asyncpg.Pool, ids: list[str], deadline_s: float = 60.0) -> None:
    """Until every id has a journey and the row count has been stable for a second."""
    end, last, stable_since = time.monotonic() + deadline_s, -1, time.monotonic()
    while time.monotonic() < end:
        have = await pool.fetchval(
            "SELECT count(DISTINCT message_id) FROM message_journey"
            " WHERE message_id = ANY($1::text[])",
            ids,
        )
        total = await pool.fetchval(
            "SELECT count(*) FROM message_journey WHERE message_id = ANY($1::text[])", ids
        )
        if total != last:
            last, stable_since = total, time.monotonic()
        elif have >= len(ids) and time.monotonic() - stable_since > 1.5:
            return
        await asyncio.sleep(0.2)


async def http_get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.text()


async def start(settings: Settings, world: SyntheticWorld) -> Pipeline:
    add_exporter(EXPORTER)
    await ensure_topics(settings)
    await seed_registry(settings, world)
    await publish_registry(settings)
    pipeline = build_pipeline(settings, web_port=0)
    await pipeline.app.start()
    return pipeline
