"""The conformance suite itself: it fails, with a message saying why, for a source that breaks
the contract (its test methods called directly, as pytest would)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectors.sdk import Record, Source, SourceConfig
from connectors.sdk.testing import SourceConformance
from tests.unit.connectors.messages import dialog


class QueueSource(Source[SourceConfig]):
    """Hands out what ``offered`` holds; the position is the count handed out."""

    name: ClassVar[str] = "queue"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[SourceConfig]] = SourceConfig

    async def on_start(self, committed: Mapping[str, str]) -> None:
        self.offered: list[bytes] = []

    async def poll(self, max_records: int) -> Sequence[Record]:
        batch, self.offered = self.offered[:max_records], self.offered[max_records:]
        if not batch:
            await asyncio.sleep(0.01)
        return [Record(b, key=b"56704", message_id=str(uuid.uuid4())) for b in batch]


class Suite(SourceConformance):
    connector_class: ClassVar[Any] = QueueSource
    invalid_settings = frozenset({"topic", "batch_size"})
    body: ClassVar[bytes] = b""

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topic": "samflyt.raw.welfare"}

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"batch_size": 0}

    async def add_input(self, source: Any, count: int) -> None:
        source.offered += [self.body or dialog() for _ in range(count)]


class WaitingSuite(Suite):
    add_input_timeout = 0.2

    async def add_input(self, source: Any, count: int) -> None:
        await asyncio.Event().wait()  # as a POST answered only once the record is committed


class JsonSuite(Suite):
    body = b'{"id": "a-1", "kind": "fall"}'


async def test_an_add_input_that_waits_fails_the_suite_with_why_instead_of_hanging(
    tmp_path: Path,
) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"add_input\(source, 3\) did not return"):
        await asyncio.wait_for(WaitingSuite().test_resumes_from_committed_positions(tmp_path), 5)


async def test_a_source_publishing_json_to_a_raw_topic_fails_naming_the_apprec_code(
    tmp_path: Path,
) -> None:
    with pytest.raises(AssertionError, match=r"record 0 \(\d+ bytes\): T01 "):
        await JsonSuite().test_records_are_messages_samflyt_reads(tmp_path)
    await Suite().test_records_are_messages_samflyt_reads(tmp_path)
