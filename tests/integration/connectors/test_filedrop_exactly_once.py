"""The EPJ file drop killed with SIGKILL mid-batch, again and again, publishes every message
exactly once; and a half-written file is never read."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import pytest
import yaml

from connectors.epj.filedrop import FileDropConfig, FileDropSource
from connectors.kafka_security import KafkaConnection
from connectors.runner import run
from tests.integration.connectors.helpers import message_ids, read_topic, wait_for
from tests.unit.connectors.messages import DIALOG_SENDER, dialog

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def spawn(config: Path, kafka: KafkaConnection, database_url: str) -> subprocess.Popen[bytes]:
    with open(config.parent / "connector.log", "ab") as log:
        return subprocess.Popen(
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
                "--principal",
                "admin",  # a topic of the test's own: no connector principal is granted it
                "--database-url",
                database_url,
            ],
            cwd=REPO,
            stdout=log,
            stderr=log,
        )


def log_of(config: Path) -> str:
    return (config.parent / "connector.log").read_text(errors="replace")[-3000:]


def done_count(done: Path) -> int:
    return sum(1 for _ in done.glob("*.xml")) if done.exists() else 0


async def test_sigkill_mid_batch_then_restart_publishes_every_message_once(
    tmp_path: Path, kafka: KafkaConnection, database_url: str, make_topic
) -> None:
    topic, dlq = await make_topic("raw.epj"), await make_topic("deadletter")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ids = [f"kill-{uuid.uuid4()}" for _ in range(150)]
    for i, message_id in enumerate(ids):
        (inbox / f"{i:04d}.xml").write_bytes(dialog(message_id))
    config = tmp_path / "filedrop.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "topic": topic,
                "dead_letter_topic": dlq,
                "inbox": str(inbox),
                "sender_her_ids": [DIALOG_SENDER],
                "stable_for": 0,
                "scan_interval": 0.05,
                "batch_size": 7,
            }
        )
    )
    done = inbox / "done"
    for threshold in (15, 50, 95):
        proc = spawn(config, kafka, database_url)
        try:
            await wait_for(
                lambda t=threshold, p=proc: done_count(done) >= t or p.poll() is not None,
                60,
                f"{threshold} files done",
            )
            assert proc.poll() is None, log_of(config)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    proc = spawn(config, kafka, database_url)
    try:
        await wait_for(
            lambda: done_count(done) >= len(ids) or proc.poll() is not None, 90, "every file done"
        )
        assert proc.poll() is None, log_of(config)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log_of(config)

    published = Counter(message_ids(await read_topic(kafka, topic)))
    assert set(published) == set(ids), "a message is missing"
    assert max(published.values()) == 1, [m for m, n in published.items() if n > 1]
    assert not [p for p in inbox.iterdir() if p.is_file()]
    conn = await asyncpg.connect(database_url)
    try:
        pending = await conn.fetchval(
            "SELECT count(*) FROM connector_published WHERE state = 'pending'"
            " AND message_id = ANY($1::text[])",
            ids,
        )
    finally:
        await conn.close()
    assert pending == 0


async def test_a_half_written_file_is_not_read(
    tmp_path: Path, kafka: KafkaConnection, database_url: str, make_topic
) -> None:
    topic = await make_topic("raw.epj")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    renamed, appended = dialog(f"tmp-{uuid.uuid4()}"), dialog(f"slow-{uuid.uuid4()}")
    (inbox / "renamed.xml.tmp").write_bytes(renamed[: len(renamed) // 2])
    with open(inbox / "appended.xml", "wb") as slow:  # noqa: ASYNC230 - the test is the writer
        slow.write(appended[: len(appended) // 2])
        slow.flush()
        source = FileDropSource(
            FileDropConfig.model_validate(
                {
                    "topic": topic,
                    "inbox": str(inbox),
                    "sender_her_ids": [DIALOG_SENDER],
                    "stable_for": 3.0,
                    "scan_interval": 0.1,
                }
            )
        )
        stop = asyncio.Event()
        task = asyncio.ensure_future(
            run(source, kafka=kafka, database_url=database_url, stop=stop)
        )
        try:
            await asyncio.sleep(1.0)  # still growing: within stable_for
            slow.write(appended[len(appended) // 2 :])
            slow.flush()
            os.fsync(slow.fileno())
            await asyncio.sleep(1.0)
            # Checked on the file system, which answers at once: reading the topic took over a
            # second on a loaded CI machine, long enough for the completed file to become stable.
            assert (inbox / "appended.xml").exists(), "a file read before it was stable"
            assert done_count(inbox / "done") == 0
            (inbox / "renamed.xml.tmp").write_bytes(renamed)
            os.replace(inbox / "renamed.xml.tmp", inbox / "renamed.xml")
            await wait_for(lambda: done_count(inbox / "done") == 2, 30, "both files published")
        finally:
            stop.set()
            await task
    values = sorted(r.value for r in await read_topic(kafka, topic))
    assert values == sorted([renamed, appended]), "a partial file was published"
