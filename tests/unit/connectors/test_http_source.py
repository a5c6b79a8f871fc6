"""The SDK's HTTP source answers each caller from what the runner committed: the built-in HTTP
ingest through a real runner, with a broker that refuses a record as too large."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from connectors.epj.http_ingest import HttpIngestConfig, HttpIngestSource
from connectors.positions import MemoryPositionStore
from connectors.sdk.http import token_digest
from connectors.sdk.testing import MemoryPublisher
from connectors.source_runner import SourceRunner
from tests.unit.connectors.messages import DIALOG_SENDER, dialog

TOKEN = "http-source-token"


class MessageSizeTooLargeError(Exception):
    """As the Kafka client names a record larger than the broker takes."""


@pytest.fixture
async def ingest() -> AsyncIterator[tuple[str, MemoryPublisher]]:
    config = HttpIngestConfig.model_validate(
        {
            "topic": "raw.epj",
            "port": 0,
            "retry": {"initial_delay": 0.001, "max_delay": 0.002},
            "senders": [
                {"name": "k", "her_ids": [DIALOG_SENDER], "token_sha256": token_digest(TOKEN)}
            ],
        }
    )
    publisher = MemoryPublisher()
    runner = SourceRunner(HttpIngestSource(config), publisher, MemoryPositionStore())
    source = runner.source
    assert isinstance(source, HttpIngestSource)
    await source.start({})  # listening now; the runner's start is then a no-op
    stop = asyncio.Event()
    task = asyncio.ensure_future(runner.run(stop))
    yield f"http://127.0.0.1:{source.bound_port}/messages", publisher
    stop.set()
    await task


async def _post(url: str, data: bytes) -> tuple[int, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.post(
        url, data=data, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as resp:
        return resp.status, await resp.json()


async def test_a_message_the_broker_refuses_is_answered_with_its_error_and_a_resend_is_taken(
    ingest: tuple[str, MemoryPublisher],
) -> None:
    url, publisher = ingest
    publisher.fail_next, publisher.error = 1, MessageSizeTooLargeError("too large for the topic")
    message = dialog("too-large-once")
    status, body = await _post(url, message)
    assert status == 413, body
    assert body["error"] == "MessageSizeTooLargeError"
    assert publisher.message_ids("raw.epj") == []  # only its dead letter was written
    status, body = await _post(url, message)  # sent again: published, not a "duplicate"
    assert status == 202 and body["message_id"] == "too-large-once"
    assert publisher.message_ids("raw.epj") == ["too-large-once"]
