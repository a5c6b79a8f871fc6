"""An HTTP ingest listening on an ephemeral loopback port, run by a real runner into memory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from connectors.epj.http_ingest import HttpIngestConfig, HttpIngestSource
from connectors.positions import MemoryPositionStore
from connectors.sdk.http import token_digest
from connectors.sdk.testing import MemoryPublisher
from connectors.source_runner import SourceRunner
from tests.unit.connectors.messages import DIALOG_SENDER

TOKEN = "kattskinnet-ingest-token"
OTHER_TOKEN = "another-municipality-token"


def ingest_config(**settings: Any) -> HttpIngestConfig:
    base: dict[str, Any] = {
        "topic": "raw.epj",
        "port": 0,
        "retry": {"initial_delay": 0.001, "max_delay": 0.002},
        "senders": [
            {
                "name": "kattskinnet",
                "her_ids": [DIALOG_SENDER],
                "token_sha256": token_digest(TOKEN),
            },
            {"name": "other", "her_ids": ["112374"], "token_sha256": token_digest(OTHER_TOKEN)},
        ],
    }
    return HttpIngestConfig.model_validate({**base, **settings})


@contextlib.asynccontextmanager
async def running(
    config: HttpIngestConfig,
) -> AsyncIterator[tuple[HttpIngestSource, MemoryPublisher]]:
    publisher = MemoryPublisher()
    source = HttpIngestSource(config)
    runner = SourceRunner(source, publisher, MemoryPositionStore())
    await source.start({})
    stop = asyncio.Event()
    task = asyncio.ensure_future(runner.run(stop))
    try:
        yield source, publisher
    finally:
        stop.set()
        await task


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
