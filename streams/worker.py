"""``samflyt worker``: run the pipeline as a long-lived worker process (scale out by starting
more; Kafka spreads the partitions between them)."""

from __future__ import annotations

import asyncio
import logging

import faust

from streams.admin import ensure_topics
from streams.db import migrate_database
from streams.logging import configure_logging
from streams.pipeline import build_pipeline
from streams.settings import Settings

log = logging.getLogger(__name__)


def run_worker(settings: Settings, *, loglevel: str = "INFO") -> int:
    """Migrate, create topics, then run the Faust worker until SIGTERM/SIGINT (clean stop)."""
    configure_logging(loglevel)
    use_event_loop(settings.event_loop)
    asyncio.run(_prepare(settings))
    pipeline = build_pipeline(settings)
    worker = faust.Worker(pipeline.app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
    return 0


def use_event_loop(name: str) -> None:
    """Make every loop this process creates from now on (the worker's too) a ``name`` loop."""
    if name == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    else:
        asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())


async def _prepare(settings: Settings) -> None:
    await migrate_database(settings)
    created = await ensure_topics(settings)
    log.info("worker prepared", extra={"topics_created": len(created)})
