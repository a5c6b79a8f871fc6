"""A worker killed with SIGKILL in the middle of a stream loses nothing and, at the
recipients, duplicates nothing: every input ends delivered once per recipient (deliveries carry
deterministic ids that sinks deduplicate on) or dead-lettered with its reason."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import BinaryIO

import pytest

from streams import harness
from streams.settings import Settings
from streams.synthetic import build_world, traffic
from tests.integration.pipeline.run import prepare, settings_for

REPO = Path(__file__).resolve().parents[3]


def _start_worker(settings: Settings, log: BinaryIO) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SAMFLYT_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "SAMFLYT_DATABASE_URL": settings.database_url.get_secret_value(),
        "SAMFLYT_TOPIC_PREFIX": settings.topic_prefix,
        "SAMFLYT_APP_ID": settings.app_id,
        "SAMFLYT_PARTITIONS": str(settings.partitions),
        "SAMFLYT_WORKER_WEB_PORT": "0",
        "SAMFLYT_ENVIRONMENT": "test",
        "OTEL_SDK_DISABLED": "true",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "streams.cli", "worker", "--loglevel", "WARNING"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.xfail(
    strict=False,
    reason="open bug (issue 4): in about one run in four, ~10 % of the deliveries of records "
    "in flight when the worker is killed never appear after the restart; the other runs pass. "
    "Kept running so each CI run reports XPASS/XFAIL until it is fixed.",
)
def test_a_worker_killed_mid_stream_loses_and_duplicates_nothing(
    kafka_bootstrap: str, database_url: str, topic_prefixes: list[str], tmp_path: Path
) -> None:
    world = build_world(seed=1, scale="small")
    # types whose recipients do not depend on care relationships that other senders' messages
    # create (senders are ordered with themselves, not with each other)
    independent = {
        "EPIKRISE",
        "UTSKRIVNINGSRAPPORT",
        "SAMFLYT_KJ_KRITISK_INFO",
        "SAMFLYT_KJ_LEGEMIDDELENDRING",
    }
    items = [
        i for i in traffic(world, seed=2024, count=1800) if i.expected.msg_type not in independent
    ]
    settings = settings_for(kafka_bootstrap, database_url, topic_prefixes, partitions=4)
    expected: Counter[tuple[str, str, str | None]] = Counter()
    for item in items:
        e = item.expected
        for r in e.recipients:
            expected[(e.msg_id.strip().lower(), r.her_id, r.person)] += 1

    async def go() -> tuple[harness.Outputs, int]:
        await prepare(settings, world)
        start = await harness.snapshot(settings)
        worker = _start_worker(settings, logs[0])
        try:
            await harness.produce(
                settings,
                [
                    (i.expected.msg_id, i.expected.msg_type, i.data, i.expected.sender_her_id)
                    for i in items
                ],
            )
            # kill it once a part of the stream has been delivered, not before
            partial = await harness.collect(
                settings, start, until=lambda o: len(o.deliveries) >= 400, deadline_s=120, quiet_s=0
            )
            assert len(partial.deliveries) >= 400, (tmp_path / "worker-1.log").read_text()
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
            restarted = _start_worker(settings, logs[1])
            try:
                want = sum(expected.values())
                out = await harness.collect(
                    settings,
                    start,
                    deadline_s=240,
                    quiet_s=3,
                    until=lambda o: (
                        len(
                            {
                                d["delivery_id"]
                                for _, d, _ in o.deliveries
                                if d["content"][0].endswith("CanonicalEvent")
                            }
                        )
                        >= want
                    ),
                )
            finally:
                restarted.terminate()
                restarted.wait(60)
        finally:
            if worker.poll() is None:
                worker.kill()
        return out, len(partial.deliveries)

    with (
        (tmp_path / "worker-1.log").open("wb") as first,
        (tmp_path / "worker-2.log").open("wb") as second,
    ):
        logs = (first, second)
        out, before_kill = asyncio.run(go())
    delivered: Counter[tuple[str, str, str | None]] = Counter()
    ids_per_key: dict[tuple[str, str, str | None], set[str]] = {}
    for _, d, _ in out.deliveries:
        name, content = d["content"]
        if not name.endswith("CanonicalEvent"):
            continue
        key = (content["message_id"], d["recipient_her_id"], d["recipient_person"])
        ids_per_key.setdefault(key, set()).add(str(d["delivery_id"]))
    for key, ids in ids_per_key.items():
        assert len(ids) == 1, key  # a redelivered record carries the same delivery id
        delivered[key] += 1
    assert before_kill >= 400
    assert delivered == expected  # nothing lost, nothing extra, once per recipient
    assert not [d for d in out.dead_letters if d["reason"] == "PROCESSING_ERROR"]
    print(
        f"deliveries read {len(out.deliveries)}, distinct {sum(delivered.values())}, "
        f"redelivered after the kill {len(out.deliveries) - len(ids_per_key)}; "
        f"{time.strftime('%X')}"
    )
