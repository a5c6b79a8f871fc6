"""Run the pipeline in-process against the real services over synthetic traffic (test helper)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from streams import harness
from streams.admin import ensure_topics
from streams.pipeline import build_pipeline
from streams.registries.feed import publish_registry
from streams.registries.seed import seed_registry
from streams.settings import Settings, load_settings
from streams.synthetic import SyntheticWorld, TrafficItem
from tests.integration.conftest import grant_test_principals, new_test_prefix


def settings_for(
    kafka_bootstrap: str, database_url: str, prefixes: list[str], **overrides: Any
) -> Settings:
    prefix = new_test_prefix(prefixes)
    values: dict[str, Any] = {
        "kafka_bootstrap": kafka_bootstrap,
        "database_url": database_url,
        "topic_prefix": prefix,
        "app_id": f"samflyt-{prefix.rstrip('.')}",
        "environment": "test",
        "worker_web_port": 0,
        "partitions": 2,
        "overdue_after": timedelta(seconds=3),
    }
    values.update(overrides)
    private = "kafka_credentials_dir" in overrides
    return grant_test_principals(load_settings(**values), cleanup=not private)


async def prepare(settings: Settings, world: SyntheticWorld) -> None:
    await ensure_topics(settings)
    await seed_registry(settings, world)
    await publish_registry(settings)


async def run_pipeline(
    settings: Settings,
    items: Sequence[TrafficItem],
    *,
    until: Callable[[harness.Outputs], bool],
    deadline_s: float = 90.0,
) -> tuple[harness.Outputs, dict[str, int]]:
    """Start a pipeline, send the items, collect the committed outputs, stop."""
    pipeline = build_pipeline(settings, web_port=0)
    start = await harness.snapshot(settings)
    await pipeline.app.start()
    try:
        await harness.produce(
            settings,
            [
                (i.expected.msg_id, i.expected.msg_type, i.data, i.expected.sender_her_id)
                for i in items
            ],
        )
        outputs = await harness.collect(settings, start, until=until, deadline_s=deadline_s)
    finally:
        await pipeline.app.stop()
    return outputs, dict(pipeline.counts)
