"""``samflyt worker``: run the pipeline as a long-lived worker process (scale out by starting
more; Kafka spreads the partitions between them)."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys

import faust

from connectors.sdk.logs import configure_logging, logging_config
from streams.admin import ensure_topics
from streams.db import check_database, describe_database
from streams.pipeline import Pipeline, build_pipeline
from streams.principals import WORKER
from streams.settings import Settings

log = logging.getLogger(__name__)


def run_worker(settings: Settings, *, loglevel: str = "INFO") -> int:
    """Check the database (current schema; in production a safe role over verified TLS), create
    topics, then run the Faust worker until SIGTERM/SIGINT (clean stop)."""
    configure_logging(loglevel)
    use_event_loop(settings.event_loop)
    asyncio.run(_prepare(settings))
    pipeline = build_pipeline(settings)
    _freeze_when_loaded(pipeline)
    worker = faust.Worker(
        pipeline.app, loglevel=loglevel, quiet=True, logging_config=logging_config(loglevel)
    )
    worker.execute_from_commandline()
    return 0


def _freeze_when_loaded(pipeline: Pipeline) -> None:
    @pipeline.app.task  # type: ignore[untyped-decorator]
    async def freeze_long_lived_objects() -> None:
        await freeze_when_ready(pipeline.feed.ready)


async def freeze_when_ready(ready: asyncio.Event) -> int:
    """Once the registry is loaded, what is alive (code, schemas, the registry view) lives as
    long as the worker: moved out of the cyclic collector's sight, full collections stop
    re-scanning it (they were ~5 % of a busy worker's profile samples, ~0.2 % after). Worker
    processes only: a test process builds many pipelines, and frozen objects are never
    collected. Returns how many objects were frozen."""
    await ready.wait()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("long-lived objects frozen", extra={"frozen": frozen})
    return frozen


def use_event_loop(name: str) -> None:
    """Make every loop this process creates from now on (the worker's too) a ``name`` loop."""
    if name == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    else:
        asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())


async def _prepare(settings: Settings) -> None:
    database = describe_database(settings.database_url.get_secret_value())
    print(f"samflyt worker: {settings.kafka(WORKER).describe()}, {database}", file=sys.stderr,
          flush=True)
    await check_database(settings)  # migrating is `samflyt migrate`'s, as the owner role
    created = await ensure_topics(settings)
    log.info("worker prepared", extra={"topics_created": len(created)})
