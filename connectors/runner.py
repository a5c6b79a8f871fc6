"""Runs a connector against the real Kafka broker and PostgreSQL: the runner's lifecycle.

Order of events: load the class (entry point, SDK version checked) → validate the config file
(every problem at once) → build the connector → open Kafka (and, for sources, PostgreSQL) →
resolve claims a crash left pending → ``start`` → run until ``stop`` is set → ``stop``.
Unexpected exceptions propagate (the supervisor restarts the process; nothing uncommitted is
lost). See :mod:`connectors.source_runner` and :mod:`connectors.sink_runner` for the loops.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import yaml

from . import registry
from .kafka import KafkaBatchReader, KafkaPublisher, find_published
from .kafka_security import KafkaConnection
from .positions import PgPositionStore
from .sdk.base import Connector, Sink, Source
from .sdk.config import validate_config, yaml_error_position
from .sdk.exceptions import (
    ConfigProblem,
    ConnectorConfigError,
    ConnectorError,
    ConnectorNotFoundError,
)
from .sdk.version import check_compatible
from .sink_runner import SinkLaneRunner
from .source_runner import SourceRunner

__all__ = ["build", "load_class", "read_config_file", "run", "run_sink", "run_source"]

log = logging.getLogger(__name__)

AnyConnector = Connector[Any]


def load_class(name: str) -> type[AnyConnector]:
    """A registered connector by name, or (for development) a ``module:Class`` reference."""
    if ":" not in name:
        return registry.load(name)
    module, _, attr = name.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ConnectorNotFoundError(f"cannot import {name!r}: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, (Source, Sink))):
        raise ConnectorNotFoundError(f"{name!r} is not a Source or Sink subclass")
    check_compatible(cls.name, getattr(cls, "sdk_version", "0"))
    return cls


def read_config_file(path: Path) -> Mapping[str, Any]:
    """The YAML (or JSON) mapping in ``path``; problems name the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConnectorConfigError(str(path), [ConfigProblem("(file)", str(exc))]) from None
    except yaml.YAMLError as exc:
        problem = ConfigProblem("(file)", yaml_error_position(exc))
        raise ConnectorConfigError(str(path), [problem]) from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConnectorConfigError(str(path), [ConfigProblem("(file)", "must be a mapping")])
    return data


def build(cls: type[AnyConnector], raw: Mapping[str, Any]) -> AnyConnector:
    """Validate ``raw`` against the class's config model and build the connector."""
    config = validate_config(cls.name, cls.config_model, raw)
    return cls(config)


async def run_source(
    source: Source[Any], *, kafka: KafkaConnection, database_url: str, stop: asyncio.Event
) -> SourceRunner:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    publisher = KafkaPublisher(kafka, client_id=f"samflyt-connector-{source.name}")
    try:
        await publisher.start()
        await publisher.require_topics([source.config.topic])
    except BaseException:
        await publisher.stop()
        await pool.close()
        raise
    try:
        runner = SourceRunner(
            source,
            publisher,
            PgPositionStore(pool),
            recover=partial(find_published, publisher),
        )
        await runner.run(stop)
        return runner
    finally:
        await publisher.stop()
        await pool.close()


def group_id(
    sink: Sink[Any], lane: str, lanes: Sequence[str], principal: str | None = None
) -> str:
    """The consumer group of ``lane``: the configured one, suffixed when there are lanes.

    By default the group is named after the sink's principal (``<principal>.<name>``): the
    broker's ACLs let a principal use only groups under its own name."""
    default = f"{principal}.{sink.name}" if principal else f"samflyt-connector-{sink.name}"
    base = sink.config.group_id or default
    return base if len(lanes) == 1 else f"{base}.{lane}"


async def _start_sink(sink: Sink[Any], stop: asyncio.Event) -> None:
    """Start ``sink``, retrying retriable start-up errors with the configured backoff."""
    attempt = 0
    while True:
        try:
            await sink.start()
            return
        except ConnectorError as exc:
            attempt += 1
            if not exc.retriable or sink.config.retry.exhausted(attempt) or stop.is_set():
                raise
            log.warning("sink start failed; retrying", extra={"connector": sink.name})
            await asyncio.sleep(sink.config.retry.delay(attempt))


async def run_sink(sink: Sink[Any], *, kafka: KafkaConnection, stop: asyncio.Event) -> None:
    publisher = KafkaPublisher(kafka, client_id=f"samflyt-connector-{sink.name}")
    await publisher.start()
    try:
        await publisher.require_topics(sink.config.topics)
    except BaseException:
        await publisher.stop()
        raise
    lanes = list(sink.lanes())
    readers = [
        KafkaBatchReader(
            kafka, sink.config.topics, group_id(sink, lane, lanes, kafka.principal)
        )
        for lane in lanes
    ]
    try:
        await _start_sink(sink, stop)
        for reader in readers:
            await reader.start()
        runners = [
            SinkLaneRunner(sink, lane, reader, publisher)
            for lane, reader in zip(lanes, readers, strict=True)
        ]
        tasks = [asyncio.ensure_future(r.run(stop)) for r in runners]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for reader in readers:
            await reader.stop()
        await sink.stop()
        await publisher.stop()


async def run(
    connector: AnyConnector,
    *,
    kafka: KafkaConnection,
    database_url: str | None,
    stop: asyncio.Event,
) -> None:
    """Run ``connector`` (already built) until ``stop`` is set."""
    log.info(
        "connector starting", extra={"connector": connector.name, "kafka": kafka.describe()}
    )
    if isinstance(connector, Source):
        if not database_url:
            raise ConnectorConfigError(
                connector.name, [ConfigProblem("database_url", "a source needs PostgreSQL")]
            )
        await run_source(connector, kafka=kafka, database_url=database_url, stop=stop)
    elif isinstance(connector, Sink):
        await run_sink(connector, kafka=kafka, stop=stop)
    else:
        raise TypeError(f"{connector!r} is neither a Source nor a Sink")
