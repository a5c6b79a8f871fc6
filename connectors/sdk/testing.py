"""The conformance suite every connector runs: subclass a suite class in your tests.

    from connectors.sdk.testing import SourceConformance

    class TestMySource(SourceConformance):
        connector_class = MySource
        invalid_settings = frozenset({"topic", "url"})
        def make_config(self, tmp_path): return {"topic": "t", "url": "http://…"}
        def invalid_config(self, tmp_path): return {"url": 42}
        async def add_input(self, source, count): …  # make `count` new messages available

The suites need pytest and pytest-asyncio; they touch nothing outside ``tmp_path`` and
localhost. They check: config validation reports every problem, naming each setting;
start/stop are idempotent; health never raises; a source resumes from its committed positions
and, after a crash between publish and commit, publishes nothing twice; records carry a W3C
traceparent and are messages samflyt's own parser reads (raw topics carry KITH XML); a sink
retries retriable failures and dead-letters fatal ones, and writing the
same record twice is harmless.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ..positions import MemoryPositionStore
from ..source_runner import SourceRunner
from . import headers as h
from ._fakes import HttpEndpoint, MemoryPublisher
from .base import Health, HealthStatus, Sink, Source
from .config import SinkConfig, SourceConfig, validate_config
from .exceptions import ConnectorConfigError, ConnectorError
from .records import Failure, Record
from .tracing import is_valid_traceparent
from .version import check_compatible

__all__ = [
    "ConfigConformance",
    "HttpEndpoint",
    "MemoryPublisher",
    "SinkConformance",
    "SourceConformance",
    "drive",
    "why_unreadable",
]


def why_unreadable(value: bytes) -> str | None:
    """Why the pipeline would dead-letter ``value`` read from a raw topic (its AppRec code and
    detail), or None: samflyt's own parser, then the business rules as a non-production
    deployment applies them (synthetic test persons are accepted; the address register is
    not asked)."""
    from schemas.errors import MessageError
    from schemas.xml import parse_message
    from schemas.xml.rules import check_business_rules

    try:
        check_business_rules(parse_message(value), test_environment=True)
    except MessageError as exc:
        return f"{exc.code} {exc.detail}"
    return None


async def drive(runner: SourceRunner, publisher: MemoryPublisher, topic: str, expect: int,
                timeout: float = 10.0) -> None:
    """Poll and publish until at least ``expect`` records are on ``topic`` and a poll comes
    back empty (so anything offered again is processed too), or until ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = await runner.source.poll(runner.config.batch_size)
        if records:
            await runner.process(records)
        elif len(publisher.on(topic)) >= expect:
            return


class _SimulatedCrash(Exception):
    pass


class ConfigConformance:
    """Checks that need no I/O: metadata, SDK version, config validation. Every suite
    includes it; use it alone for a connector whose lifecycle needs outside services."""

    connector_class: ClassVar[type[Any]]
    invalid_settings: ClassVar[frozenset[str]]
    """Settings :meth:`invalid_config` gets wrong; at least two, all must be reported."""

    def make_config(self, tmp_path: Path) -> Mapping[str, Any]:
        """A valid config (its resources under ``tmp_path`` or on localhost)."""
        raise NotImplementedError

    def invalid_config(self, tmp_path: Path) -> Mapping[str, Any]:
        """A config with every setting in ``invalid_settings`` wrong."""
        raise NotImplementedError

    def build(self, tmp_path: Path) -> Any:
        cls = self.connector_class
        return cls(validate_config(cls.name, cls.config_model, self.make_config(tmp_path)))

    def test_declares_name_version_and_config(self) -> None:
        cls = self.connector_class
        assert isinstance(cls.name, str) and cls.name
        check_compatible(cls.name, cls.sdk_version)
        base = SourceConfig if issubclass(cls, Source) else SinkConfig
        assert issubclass(cls.config_model, base)

    def test_valid_config_passes(self, tmp_path: Path) -> None:
        cls = self.connector_class
        validate_config(cls.name, cls.config_model, self.make_config(tmp_path))

    def test_invalid_config_names_every_setting(self, tmp_path: Path) -> None:
        assert len(self.invalid_settings) >= 2, "get at least two settings wrong"
        cls = self.connector_class
        with pytest.raises(ConnectorConfigError) as caught:
            validate_config(cls.name, cls.config_model, self.invalid_config(tmp_path))
        reported = {p.setting for p in caught.value.problems}
        assert self.invalid_settings <= reported, f"reported only {sorted(reported)}"
        for setting in self.invalid_settings:
            assert setting in str(caught.value)


class _Lifecycle(ConfigConformance):
    async def _start(self, connector: Any) -> None:
        await connector.start()

    @pytest.mark.asyncio
    async def test_start_and_stop_are_idempotent(self, tmp_path: Path) -> None:
        connector = self.build(tmp_path)
        await connector.stop()  # before start: nothing to do
        await self._start(connector)
        await self._start(connector)
        assert connector.started
        await connector.stop()
        await connector.stop()
        assert not connector.started

    @pytest.mark.asyncio
    async def test_health_never_raises(self, tmp_path: Path) -> None:
        connector = self.build(tmp_path)
        before = await connector.health()
        assert isinstance(before, Health) and before.status is HealthStatus.DOWN
        await self._start(connector)
        try:
            assert (await connector.health()).status is not HealthStatus.DOWN
        finally:
            await connector.stop()
        assert (await connector.health()).status is HealthStatus.DOWN


class SourceConformance(_Lifecycle):
    """The suite for a :class:`Source`. Implement ``make_config``, ``invalid_config`` and
    :meth:`add_input`."""

    publishes_messages: ClassVar[bool] = True
    """False only for a source whose topic is not one of samflyt's raw topics: then its records
    need not be messages samflyt's parser reads."""
    add_input_timeout: ClassVar[float] = 10.0
    """Seconds :meth:`add_input` may take before the test fails."""

    async def add_input(self, source: Any, count: int) -> None:
        """Make ``count`` new, distinct messages available to the started ``source`` and
        return: the suite polls only afterwards, so an ``add_input`` that waits for its
        messages to be published (an HTTP POST answered on commit) must start a task for it."""
        raise NotImplementedError

    async def _add_input(self, source: Any, count: int) -> None:
        try:
            await asyncio.wait_for(self.add_input(source, count), self.add_input_timeout)
        except TimeoutError:
            pytest.fail(
                f"add_input(source, {count}) did not return within {self.add_input_timeout} s."
                " It must make the messages available and return: the suite polls the source"
                " only after it, so waiting for them to be published waits forever (start a"
                " task for a call that is answered on commit, e.g. an HTTP POST)",
                pytrace=False,
            )

    async def _start(self, connector: Any) -> None:
        await connector.start({})

    async def _run(self, tmp_path: Path, store: MemoryPositionStore, publisher: MemoryPublisher,
                   count: int, expect: int) -> SourceRunner:
        runner = SourceRunner(self.build(tmp_path), publisher, store)
        await runner.recover()
        await runner.source.start(await store.load(runner.name))
        await self._add_input(runner.source, count)
        await drive(runner, publisher, runner.config.topic, expect)
        return runner

    @pytest.mark.asyncio
    async def test_resumes_from_committed_positions(self, tmp_path: Path) -> None:
        store, publisher = MemoryPositionStore(), MemoryPublisher()
        first = await self._run(tmp_path, store, publisher, 3, 3)
        await first.source.stop()
        second = await self._run(tmp_path, store, publisher, 2, 5)
        await second.source.stop()
        ids = publisher.message_ids(second.config.topic)
        assert len(ids) == 5, f"published {len(ids)} records for 5 inputs"
        if all(ids):
            assert len(set(ids)) == 5, "a message was published twice"

    @pytest.mark.asyncio
    async def test_crash_between_publish_and_commit_publishes_nothing_twice(
        self, tmp_path: Path
    ) -> None:
        store, publisher = MemoryPositionStore(), MemoryPublisher()
        runner = SourceRunner(self.build(tmp_path), publisher, store)
        source = runner.source
        await source.start({})
        await self._add_input(source, 3)

        async def crash(records: Sequence[Record]) -> None:
            raise _SimulatedCrash

        source.commit = crash  # type: ignore[method-assign]
        with pytest.raises(_SimulatedCrash):
            await drive(runner, publisher, runner.config.topic, 3)
        await source.abandon([], _SimulatedCrash())
        await source.stop()
        if not all(publisher.message_ids(runner.config.topic)):
            pytest.skip("records without message_id are delivered at least once")
        second = await self._run(tmp_path, store, publisher, 0, 3)
        await second.source.stop()
        ids = publisher.message_ids(runner.config.topic)
        assert sorted(set(ids)) == sorted(ids), "a message was published twice"

    @pytest.mark.asyncio
    async def test_records_are_messages_samflyt_reads(self, tmp_path: Path) -> None:
        if not self.publishes_messages:
            pytest.skip("publishes_messages is False: not a raw topic of samflyt")
        store, publisher = MemoryPositionStore(), MemoryPublisher()
        runner = await self._run(tmp_path, store, publisher, 2, 2)
        await runner.source.stop()
        sent = publisher.on(runner.config.topic)
        assert sent, "the source published nothing for 2 inputs"
        problems = [
            f"record {i} ({len(item.value or b'')} bytes): {why}"
            for i, item in enumerate(sent)
            if (why := why_unreadable(item.value or b"")) is not None
        ]
        assert not problems, (
            f"the pipeline would dead-letter what this source publishes to {runner.config.topic}:"
            " raw topics take KITH XML, a MsgHead envelope or a standard's own root (see"
            " 'What a raw topic takes' in docs/connectors.md; `samflyt samples write DIR` writes"
            " examples)\n  " + "\n  ".join(problems)
        )

    @pytest.mark.asyncio
    async def test_records_carry_traceparent(self, tmp_path: Path) -> None:
        store, publisher = MemoryPositionStore(), MemoryPublisher()
        runner = await self._run(tmp_path, store, publisher, 2, 2)
        await runner.source.stop()
        sent = publisher.on(runner.config.topic)
        assert sent
        for item in sent:
            assert is_valid_traceparent(h.get_header(item.headers, h.TRACEPARENT))
            assert h.get_header(item.headers, h.CONNECTOR) == runner.name


class SinkConformance(_Lifecycle):
    """The suite for a :class:`Sink`. Implement ``make_config`` (it may use ``self.endpoint``,
    a started :class:`HttpEndpoint`), ``invalid_config``, :meth:`records`, :meth:`bad_record`,
    :meth:`written` and :meth:`set_outage`."""

    endpoint: HttpEndpoint

    @pytest.fixture(autouse=True)
    async def _endpoint(self) -> Any:
        self.endpoint = await HttpEndpoint().start()
        yield
        await self.endpoint.stop()

    def records(self, count: int) -> list[Record]:
        """``count`` good, distinct records (with Kafka positions, as a sink receives them)."""
        raise NotImplementedError

    def bad_record(self) -> Record:
        """A record the sink must refuse for good (it goes to the dead-letter topic)."""
        raise NotImplementedError

    async def written(self, sink: Any) -> list[str]:
        """Message ids at the destination, one entry per copy written."""
        return sorted(k for k, n in self.endpoint.received.items() for _ in range(n))

    async def set_outage(self, sink: Any, down: bool) -> None:
        """Make the destination fail retriably (``down``) or work again."""
        self.endpoint.status = 503 if down else 200

    async def _write(self, sink: Sink[Any], records: Sequence[Record]) -> list[Failure]:
        lane = next(iter(sink.lanes()))
        try:
            return list(await sink.write(records, lane))
        except ConnectorError as exc:
            if not exc.retriable:
                raise
            return [Failure(r, exc) for r in records]

    @pytest.mark.asyncio
    async def test_retriable_failure_then_recovery_writes_each_once(self, tmp_path: Path) -> None:
        sink = self.build(tmp_path)
        await sink.start()
        try:
            records = self.records(3)
            await self.set_outage(sink, True)
            failures = await self._write(sink, records)
            assert failures and all(f.error.retriable for f in failures)
            await self.set_outage(sink, False)
            retry = [f.record for f in failures]
            assert await self._write(sink, retry) == []
            ids = [r.header(h.MESSAGE_ID) or r.message_id or "" for r in records]
            assert await self.written(sink) == sorted(ids)
        finally:
            await sink.stop()

    @pytest.mark.asyncio
    async def test_bad_record_fails_alone_and_not_retriably(self, tmp_path: Path) -> None:
        sink = self.build(tmp_path)
        await sink.start()
        try:
            good = self.records(2)
            bad = self.bad_record()
            failures = await self._write(sink, [good[0], bad, good[1]])
            assert [f.record for f in failures] == [bad]
            assert not failures[0].error.retriable
            assert len(await self.written(sink)) == 2
        finally:
            await sink.stop()

    @pytest.mark.asyncio
    async def test_writing_twice_is_harmless(self, tmp_path: Path) -> None:
        sink = self.build(tmp_path)
        await sink.start()
        try:
            records = self.records(2)
            assert await self._write(sink, records) == []
            assert await self._write(sink, records) == []
            written = await self.written(sink)
            assert len(set(written)) == 2
        finally:
            await sink.stop()


