"""The base classes a connector derives from: :class:`Source` and :class:`Sink`.

A connector is a subclass plus a declared config. The runner (never the plug-in) drives it:

1. the class is loaded from the ``samflyt.connectors`` entry point and its ``sdk_version``
   checked; 2. the config file is validated against ``config_model`` (every problem at once);
3. the instance is built with the validated config; 4. ``start`` is called; 5. the source is
polled / the sink is written to; 6. ``stop`` is called on shutdown, also after a failure.

``start`` and ``stop`` are idempotent (a second call does nothing); subclasses implement the
``on_start`` / ``on_stop`` hooks. Unexpected exceptions are not caught: they stop the runner so
the supervisor restarts it, and nothing uncommitted is lost.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from .config import ConnectorConfig, SinkConfig, SourceConfig
from .records import Failure, Record

__all__ = ["DEFAULT_LANE", "Connector", "Health", "HealthStatus", "Sink", "Source"]

C = TypeVar("C", bound=ConnectorConfig)
SC = TypeVar("SC", bound=SourceConfig)
KC = TypeVar("KC", bound=SinkConfig)

DEFAULT_LANE = "default"


class HealthStatus(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"  # working, but e.g. retrying an endpoint
    DOWN = "down"  # not started, stopped, or cannot work


@dataclass(frozen=True, slots=True)
class Health:
    """A connector's health: a status and a short detail free of personal data."""

    status: HealthStatus
    detail: str = ""


class Connector(Generic[C]):
    """What sources and sinks share: name, SDK version, config, lifecycle, health.

    Subclasses set the class attributes ``name`` (equal to the entry-point name),
    ``sdk_version`` (the SDK version it was built for, e.g. ``"1.0"``) and ``config_model``.
    """

    name: ClassVar[str]
    sdk_version: ClassVar[str]
    config_model: ClassVar[type[ConnectorConfig]]

    def __init__(self, config: C) -> None:
        """Called by the runner with an already validated config. Must not do I/O."""
        self.config = config
        self._started = False
        self._lifecycle = asyncio.Lock()

    @property
    def started(self) -> bool:
        return self._started

    async def stop(self) -> None:
        """Called once at shutdown (and after a failure). Idempotent; never raises on a second
        call. Exceptions from ``on_stop`` propagate after the connector is marked stopped."""
        async with self._lifecycle:
            if not self._started:
                return
            self._started = False
            await self.on_stop()

    async def on_stop(self) -> None:
        """Release what ``on_start`` acquired. Called at most once per successful start."""

    async def health(self) -> Health:
        """Called at any time, also before start and after stop; must not raise.

        The default reports OK while started and DOWN otherwise; override to add detail.
        """
        if self._started:
            return Health(HealthStatus.OK)
        return Health(HealthStatus.DOWN, "not started")


class Source(Connector[SC]):
    """A source: reads from outside and returns records for the runner to publish.

    Delivery contract: the runner publishes what :meth:`poll` returns, waits for the broker to
    acknowledge every record, stores the records' positions, and only then calls :meth:`commit`.
    After a crash the runner restarts the source from the last *stored* positions, so a source
    must be able to hand out again anything not yet committed.
    """

    async def start(self, committed: Mapping[str, str] | None = None) -> None:
        """Called once before the first poll, with the last committed offset per position
        stream (empty on first run). Idempotent. May raise a :class:`ConnectorError` (fatal
        start-up problem, e.g. an unreadable directory); a retriable one is retried by the
        runner with backoff."""
        async with self._lifecycle:
            if self._started:
                return
            await self.on_start(dict(committed or {}))
            self._started = True

    async def on_start(self, committed: Mapping[str, str]) -> None:
        """Open resources and remember where to resume (``committed``: stream -> offset)."""

    async def poll(self, max_records: int) -> Sequence[Record]:
        """Called repeatedly while started. Return up to ``max_records`` new records, or an
        empty sequence after waiting briefly (≲1 s) when there are none.

        Must be cancellation-safe: the runner may cancel a pending poll at shutdown. A record
        already known to be bad is returned marked with :meth:`Record.rejected` (it goes to the
        dead-letter topic). Raise a retriable error when the outside is temporarily
        unreachable (the runner backs off and polls again); other errors stop the runner.
        """
        raise NotImplementedError

    async def commit(self, records: Sequence[Record]) -> None:
        """Called after every record in ``records`` is durably in Kafka — on its topic, or,
        for a record with ``error`` set, on the dead-letter topic — and its position stored.
        Use it to acknowledge upstream (move a file, answer an HTTP request). ``error`` is
        set on the records the source rejected and (since SDK 1.3) on those the broker
        refused (e.g. too large for the topic): those are not published, and their message
        ids not marked, so the same message sent again is published. Records skipped as
        duplicates are committed too. Errors stop the runner; the records are then offered
        again after restart and deduplicated by message id."""

    async def abandon(self, records: Sequence[Record], error: Exception) -> None:
        """Called when ``records`` could not be published and the runner is giving up (it is
        about to stop). Use it to answer waiting callers; the default does nothing. Must not
        raise."""


class Sink(Connector[KC]):
    """A sink: takes batches of records consumed from Kafka and writes them outside.

    Lanes: a sink with several independent destinations names them in :meth:`lanes`; the
    runner then runs one consumer group per lane with its own offsets and backoff, so one dead
    destination does not hold back the others. Offsets of a lane are committed only after
    every record of a batch was written or dead-lettered.
    """

    async def start(self) -> None:
        """Called once before the first write. Idempotent. May raise a ConnectorError."""
        async with self._lifecycle:
            if self._started:
                return
            await self.on_start()
            self._started = True

    async def on_start(self) -> None:
        """Open resources (HTTP sessions, database pools, directories)."""

    def lanes(self) -> Sequence[str]:
        """Called once after config validation: the independent delivery lanes."""
        return (DEFAULT_LANE,)

    def delivers(self, record: Record, lane: str = DEFAULT_LANE) -> bool:
        """Called for each record ``write`` took without a failure: did writing it hand it to
        its recipient? The runner then confirms the delivery to samflyt's journey (its
        ``delivered`` step; see ``SinkConfig.confirmation_topic``). Return False for a record
        the lane passed over (another destination's) or for a sink that delivers to no one (an
        archive). Pure and cheap; the default is True."""
        return True

    async def write(self, records: Sequence[Record], lane: str = DEFAULT_LANE) -> Sequence[Failure]:
        """Called with each batch of ``lane`` (in offset order per partition). Write what you can
        and return the records that failed, each with its error: a retriable error is written
        again later with backoff (only the failed records); a non-retriable one goes to the
        dead-letter topic. Raise a retriable :class:`ConnectorError` when nothing could be
        written (e.g. the database is down): the whole batch is retried. Writing the same record
        twice must be harmless (after a crash the runner re-delivers uncommitted batches).
        Other exceptions stop the runner."""
        raise NotImplementedError
