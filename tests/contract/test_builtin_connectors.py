"""Every built-in connector through the SDK's conformance suite.

The core journal outbox and the message store need PostgreSQL for their lifecycle: here they
get the config checks; the full suite runs in tests/integration/connectors/.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest

from connectors.epj.filedrop import FileDropSource
from connectors.epj.http_ingest import HttpIngestSource
from connectors.kjernejournal import OutboxSource
from connectors.labresults import LabFileDropSource, LabHttpSource
from connectors.sdk import Position, Record, headers
from connectors.sdk.http import token_digest
from connectors.sdk.testing import ConfigConformance, SinkConformance, SourceConformance
from connectors.sinks.epj_delivery import EpjDeliverySink
from connectors.sinks.message_store import MessageStoreSink
from connectors.sinks.webhook import WebhookSink
from tests.unit.connectors.messages import DIALOG_SENDER, LAB_SENDER, dialog, lab_result

TOKEN = "contract-test-token"


class TestEpjFileDrop(SourceConformance):
    connector_class: ClassVar[Any] = FileDropSource
    invalid_settings = frozenset({"topic", "inbox", "stable_for", "sender_her_ids"})
    sender = DIALOG_SENDER

    def message(self) -> bytes:
        return dialog()

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        (tmp_path / "inbox").mkdir(exist_ok=True)
        return {
            "topic": "samflyt.raw.epj",
            "inbox": str(tmp_path / "inbox"),
            "stable_for": 0,
            "scan_interval": 0.01,
            "sender_her_ids": [self.sender],
        }

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"inbox": str(tmp_path / "nowhere"), "stable_for": -1}

    async def add_input(self, source: Any, count: int) -> None:
        for _ in range(count):
            (source.inbox / f"{uuid.uuid4()}.xml").write_bytes(self.message())


class TestLabFileDrop(TestEpjFileDrop):
    connector_class: ClassVar[Any] = LabFileDropSource
    sender = LAB_SENDER

    def message(self) -> bytes:
        return lab_result()


class TestEpjHttp(SourceConformance):
    connector_class: ClassVar[Any] = HttpIngestSource
    invalid_settings = frozenset({"topic", "port", "senders.0.token_sha256"})
    sender = DIALOG_SENDER

    @pytest.fixture(autouse=True)
    async def _clients(self) -> AsyncIterator[None]:
        self.session = aiohttp.ClientSession()
        self.posts: list[asyncio.Task[Any]] = []
        yield
        await asyncio.gather(*self.posts, return_exceptions=True)
        await self.session.close()

    def message(self) -> bytes:
        return dialog()

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        return {
            "topic": "samflyt.raw.epj",
            "port": 0,
            "senders": [
                {"name": "test", "her_ids": [self.sender], "token_sha256": token_digest(TOKEN)}
            ],
        }

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"port": 70000, "senders": [{"name": "x", "her_ids": ["1"], "token_sha256": "no"}]}

    async def _post(self, url: str, data: bytes) -> int:
        async with self.session.post(
            url, data=data, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as resp:
            return resp.status

    async def add_input(self, source: Any, count: int) -> None:
        url = f"http://127.0.0.1:{source.bound_port}/messages"
        for _ in range(count):
            self.posts.append(asyncio.ensure_future(self._post(url, self.message())))
        await asyncio.sleep(0.05)


class TestLabHttp(TestEpjHttp):
    connector_class: ClassVar[Any] = LabHttpSource
    sender = LAB_SENDER

    def message(self) -> bytes:
        return lab_result()


def delivery_record(i: int, her_id: str = "123") -> Record:
    hs = headers.with_header((), headers.MESSAGE_ID, f"msg-{uuid.uuid4()}")
    return Record(
        f"<x n='{i}'/>".encode(),
        key=her_id.encode(),
        headers=hs,
        position=Position("samflyt.delivery.municipal:0", str(i)),
    )


class TestEpjDelivery(SinkConformance):
    connector_class: ClassVar[Any] = EpjDeliverySink
    invalid_settings = frozenset({"topics", "recipients.123.url"})

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        return {
            "topics": ["samflyt.delivery.municipal"],
            "outbox_root": str(tmp_path / "out"),
            "recipients": {"123": {"url": self.endpoint.url}},
        }

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topics": [], "recipients": {"123": {"url": "x", "directory": "/tmp"}}}

    def records(self, count: int) -> list[Record]:
        return [delivery_record(i) for i in range(count)]

    def bad_record(self) -> Record:
        return delivery_record(99, her_id="")  # no recipient: can never be delivered


class TestNationalWebhook(SinkConformance):
    connector_class: ClassVar[Any] = WebhookSink
    invalid_settings = frozenset({"topics", "destinations.0.url", "destinations.0.name"})

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        return {
            "topics": ["samflyt.delivery.national.kjernejournal"],
            "destinations": [{"name": "kjernejournal", "url": self.endpoint.url}],
        }

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"destinations": [{"name": "Bad Name", "url": "ftp://x"}]}

    def records(self, count: int) -> list[Record]:
        return [delivery_record(i) for i in range(count)]

    def bad_record(self) -> Record:
        record = delivery_record(98)
        self.endpoint.refuse.add(record.header(headers.MESSAGE_ID) or "")
        return record


class TestKjernejournalConfig(ConfigConformance):
    connector_class: ClassVar[Any] = OutboxSource
    invalid_settings = frozenset({"database_url", "table"})

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topic": "samflyt.raw.kjernejournal", "database_url": "postgresql://db/kj"}

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topic": "t", "table": "x; DROP TABLE y"}


class TestMessageStoreConfig(ConfigConformance):
    connector_class: ClassVar[Any] = MessageStoreSink
    invalid_settings = frozenset({"database_url", "topics"})

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topics": ["samflyt.delivery.municipal"], "database_url": "postgresql://db/s"}

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topics": "not-a-list"}
