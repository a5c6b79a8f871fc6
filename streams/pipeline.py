"""The running pipeline: one Faust app, its topics and tables, the registry feed, the rules,
the agents of :mod:`streams.agents` wired onto them, and the journey recorder started with it.

``build_pipeline(settings)`` returns a :class:`Pipeline` whose ``app`` is started by a worker
(``samflyt worker``), by the demo, or in-process by the integration tests.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.contrib.opentelemetry import setup_opentelemetry
from faust.types import TableT

from connectors.sdk.headers import TRACEPARENT
from connectors.sdk.logs import count_waiting
from schemas.codec import Codec, default_codec
from schemas.xml import ParseLimits
from streams.app import create_app
from streams.bindings import SenderBindings, bindings_for, catalogue_for, raw_specs
from streams.metrics import count_out
from streams.registries.feed import RegistryFeed, patient_key_fn
from streams.routing.rules import RuleSetSource
from streams.settings import Settings
from streams.telemetry import setup_tracing
from streams.topics import TABLES

log = logging.getLogger(__name__)
CLOCK = "internal.clock"


@dataclass
class Pipeline:
    settings: Settings
    app: faust.App
    codec: Codec
    feed: RegistryFeed
    rules: RuleSetSource
    limits: ParseLimits
    bindings: SenderBindings
    topics: dict[str, faust.TopicT] = field(default_factory=dict)
    tables: dict[str, TableT[Any, Any]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.patient_key = patient_key_fn(self.settings)

    def topic(self, name: str) -> faust.TopicT:
        return self.topics[name]

    async def send(
        self,
        name: str,
        key: str | bytes | None,
        value: bytes,
        headers: Iterable[tuple[str, bytes]] = (),
    ) -> None:
        """Send within the current event's transaction (exactly-once) or batch (at-least-once)."""
        await self.topics[name].send(key=key, value=value, headers=list(headers))
        self.counts[f"out.{name}"] += 1
        count_out(name)


def traceparent_of(event: Any) -> str | None:
    for key, value in event.message.headers or ():
        if key == TRACEPARENT:
            return str(value.decode("ascii", errors="replace"))
    return None


def build_pipeline(settings: Settings, *, web_port: int | None = None) -> Pipeline:
    app = create_app(settings, web_port=web_port)
    if setup_tracing(settings.app_id):
        setup_opentelemetry(app)
    feed = RegistryFeed(settings)
    pipeline = Pipeline(
        settings=settings,
        app=app,
        codec=default_codec(),
        feed=feed,
        rules=RuleSetSource(settings.routing_rules),
        limits=ParseLimits(max_bytes=settings.xml_max_bytes, max_depth=settings.xml_max_depth),
        bindings=bindings_for(settings),
    )
    for spec in catalogue_for(pipeline.bindings):
        pipeline.topics[spec.name] = app.topic(
            settings.topic(spec.name), partitions=spec.partitions or settings.partitions
        )
    # every raw topic, bound or not: a record where no connector is bound is refused, not unread
    raw = raw_specs(pipeline.bindings)
    pipeline.topics["raw"] = app.topic(*(settings.topic(spec.name) for spec in raw))
    # what the outage log line and health count as waiting: records the agents hold, not
    # yet acknowledged (their sends wait for the broker)
    count_waiting("worker", lambda: _unacknowledged(app))
    seen, patients, opened = TABLES
    # Faust codes table keys and values as JSON: store JSON values, so what a worker recovers
    # from a changelog after a restart or rebalance equals what was written
    for slot, name in (("seen", seen), ("patients", patients), ("open", opened)):
        pipeline.tables[slot] = app.Table(name, default=None, partitions=settings.partitions)

    @app.task  # type: ignore[untyped-decorator]
    async def load_registry() -> None:
        try:
            await feed.start()
        except Exception as exc:  # without the registry nothing can be routed: stop the worker
            log.exception("registry feed failed to start")
            await app.crash(exc)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def stop_registry_feed(app: faust.App, **kwargs: Any) -> None:
        await feed.stop()

    from streams.agents import deliver_to_senders, route_events, validate_raw
    from streams.journey.recorder import JourneyRecorder

    validate_raw.register(pipeline)
    route_events.register(pipeline)
    deliver_to_senders.register(pipeline)
    app.add_dependency(JourneyRecorder(pipeline))  # not an agent: see its module
    if settings.metrics_port:
        from streams.metrics_server import MetricsServer

        app.add_dependency(MetricsServer(pipeline, settings.metrics_port))
    return pipeline


def _unacknowledged(app: faust.App) -> int:
    consumer: Any = app.consumer
    return len(consumer._unacked_messages)
