"""HTTP ingest against the real broker: a wrong token is refused, nothing of it published;
and a bad config file stops the runner naming every bad setting."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from connectors.epj.http_ingest import HttpIngestConfig, HttpIngestSource
from connectors.kafka_security import KafkaConnection
from connectors.runner import run
from connectors.sdk.http import token_digest
from tests.integration.connectors.helpers import message_ids, read_topic, wait_for
from tests.unit.connectors.messages import DIALOG_SENDER, dialog

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


async def test_wrong_token_is_refused_and_the_right_one_published(
    kafka: KafkaConnection, database_url: str, make_topic
) -> None:
    topic = await make_topic("raw.epj")
    source = HttpIngestSource(
        HttpIngestConfig.model_validate(
            {
                "topic": topic,
                "port": 0,
                "senders": [
                    {
                        "name": "gp",
                        "her_ids": [DIALOG_SENDER],
                        "token_sha256": token_digest("right"),
                    },
                    {"name": "other", "her_ids": ["4711"], "token_sha256": token_digest("other")},
                ],
            }
        )
    )
    stop = asyncio.Event()
    task = asyncio.ensure_future(
        run(source, kafka=kafka, database_url=database_url, stop=stop)
    )
    try:
        await wait_for(lambda: source.bound_port is not None, 30, "the server")
        url = f"http://127.0.0.1:{source.bound_port}/messages"
        async with aiohttp.ClientSession() as http:

            async def post(token: str, message_id: str) -> int:
                async with http.post(
                    url, data=dialog(message_id), headers={"Authorization": f"Bearer {token}"}
                ) as resp:
                    return resp.status

            assert await post("wrong", "http-wrong") == 401
            assert await post("other", "http-forged") == 403
            assert await post("right", "http-ok") == 202
            assert await post("right", "http-ok") == 202  # a retry: accepted, not re-published
    finally:
        stop.set()
        await task
    assert message_ids(await read_topic(kafka, topic)) == ["http-ok"]


def test_bad_config_names_each_setting(
    tmp_path: Path, kafka: KafkaConnection, database_url: str
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("inbox: /no/such/inbox\nbatch_size: 0\nretry:\n  max_delay: -1\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "connectors",
            "run",
            "connectors.epj.filedrop:FileDropSource",
            "--config",
            str(config),
            "--bootstrap",
            kafka.bootstrap,
            "--database-url",
            database_url,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    for setting in ("topic", "inbox", "batch_size", "retry.max_delay"):
        assert f"- {setting}:" in result.stderr, result.stderr
