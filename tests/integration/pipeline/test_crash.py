"""Workers that die or change mid-stream lose nothing and, at the recipients, duplicate
nothing: every input ends delivered once per recipient (deliveries carry deterministic ids that
sinks deduplicate on) or dead-lettered with its reason.

Two disruptions, each in the middle of a backlog of ~1,500 messages, on 4 partitions:
a worker killed with SIGKILL and restarted, and a second worker joining the group and the first
one leaving it (two rebalances while records sit in the agents' buffers)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import BinaryIO

from streams import harness
from streams.settings import Settings
from streams.synthetic import build_world, traffic
from tests.integration.pipeline.run import prepare, settings_for

REPO = Path(__file__).resolve().parents[3]
Key = tuple[str, str, str | None]
# types whose recipients depend on care relationships that other senders' messages create
# (senders are ordered with themselves, not with each other), left out of these runs
ORDER_DEPENDENT = {
    "EPIKRISE",
    "UTSKRIVNINGSRAPPORT",
    "SAMFLYT_KJ_KRITISK_INFO",
    "SAMFLYT_KJ_LEGEMIDDELENDRING",
}


class Workers:
    """``samflyt worker`` processes of one test, each with its own log file."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.started: list[tuple[subprocess.Popen[bytes], BinaryIO]] = []

    def start(self) -> subprocess.Popen[bytes]:
        settings = self.settings
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
        log = (self.log_dir / f"worker-{len(self.started) + 1}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker", "--loglevel", "INFO"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append((process, log))
        return process

    def stop_all(self) -> None:
        for process, log in self.started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
            log.close()

    def notable_log_lines(self) -> list[str]:
        words = ("WARN", "ERROR", "ebalanc", "Seek", "ssign", "evoke")
        return [
            line
            for path in sorted(self.log_dir.glob("worker-*.log"))
            for line in path.read_text(errors="replace").splitlines()
            if any(word in line for word in words)
        ]


def _run_disrupted(
    kafka_bootstrap: str,
    database_url: str,
    topic_prefixes: list[str],
    tmp_path: Path,
    disrupt: Callable[[Workers, subprocess.Popen[bytes]], Awaitable[None]],
) -> None:
    world = build_world(seed=1, scale="small")
    items = [
        i
        for i in traffic(world, seed=2024, count=1800)
        if i.expected.msg_type not in ORDER_DEPENDENT
    ]
    settings = settings_for(kafka_bootstrap, database_url, topic_prefixes, partitions=4)
    expected: Counter[Key] = Counter()
    for item in items:
        e = item.expected
        for r in e.recipients:
            expected[(e.msg_id.strip().lower(), r.her_id, r.person)] += 1
    workers = Workers(settings, tmp_path)

    async def go() -> tuple[harness.Outputs, int]:
        await prepare(settings, world)
        start = await harness.snapshot(settings)
        first = workers.start()
        await harness.produce(
            settings,
            [
                (i.expected.msg_id, i.expected.msg_type, i.data, i.expected.sender_her_id)
                for i in items
            ],
        )
        # disrupt once a part of the stream has been delivered, not before
        partial = await harness.collect(
            settings, start, until=lambda o: len(o.deliveries) >= 400, deadline_s=120, quiet_s=0
        )
        assert len(partial.deliveries) >= 400, "\n".join(workers.notable_log_lines())
        await disrupt(workers, first)
        want = sum(expected.values())
        # the disruption must come mid-stream: a worker that had already delivered everything
        # leaves its replacement nothing to do, and the run would prove nothing
        assert len(_canonical_delivery_ids(partial)) < want * 0.8, "disrupted after the work"
        out = await harness.collect(
            settings,
            start,
            deadline_s=240,
            quiet_s=3,
            until=lambda o: len(_canonical_delivery_ids(o)) >= want,
        )
        return out, len(partial.deliveries)

    try:
        out, before = asyncio.run(go())
    finally:
        workers.stop_all()
    delivered: Counter[Key] = Counter()
    ids_per_key: dict[Key, set[str]] = {}
    for _, d, _ in out.deliveries:
        name, content = d["content"]
        if not name.endswith("CanonicalEvent"):
            continue
        key = (content["message_id"], d["recipient_her_id"], d["recipient_person"])
        ids_per_key.setdefault(key, set()).add(str(d["delivery_id"]))
    for key, ids in ids_per_key.items():
        assert len(ids) == 1, key  # a redelivered record carries the same delivery id
        delivered[key] += 1
    assert before >= 400
    # nothing lost, nothing extra, once per recipient
    assert delivered == expected, _where_lost(expected, delivered, out, workers)
    assert not [d for d in out.dead_letters if d["reason"] == "PROCESSING_ERROR"]
    print(
        f"deliveries read {len(out.deliveries)}, distinct {sum(delivered.values())}, "
        f"redelivered {len(out.deliveries) - len(ids_per_key)}; {time.strftime('%X')}"
    )


def test_a_worker_killed_mid_stream_loses_and_duplicates_nothing(
    kafka_bootstrap: str, database_url: str, topic_prefixes: list[str], tmp_path: Path
) -> None:
    async def kill_and_restart(workers: Workers, first: subprocess.Popen[bytes]) -> None:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        workers.start()

    _run_disrupted(kafka_bootstrap, database_url, topic_prefixes, tmp_path, kill_and_restart)


def test_a_worker_joining_and_one_leaving_mid_stream_lose_and_duplicate_nothing(
    kafka_bootstrap: str, database_url: str, topic_prefixes: list[str], tmp_path: Path
) -> None:
    async def join_then_leave(workers: Workers, first: subprocess.Popen[bytes]) -> None:
        workers.start()  # rebalance: the partitions are shared between two workers
        await asyncio.sleep(12)
        first.terminate()  # rebalance: the second worker takes them all
        await asyncio.to_thread(first.wait, 60)

    _run_disrupted(kafka_bootstrap, database_url, topic_prefixes, tmp_path, join_then_leave)


def _canonical_delivery_ids(out: harness.Outputs) -> set[str]:
    return {
        str(d["delivery_id"])
        for _, d, _ in out.deliveries
        if d["content"][0].endswith("CanonicalEvent")
    }


def _where_lost(
    expected: Counter[Key], delivered: Counter[Key], out: harness.Outputs, workers: Workers
) -> str:
    """Which stage a lost delivery got to: a receipt means validate accepted it, a decision
    means route granted it; the workers' rebalance and warning lines follow."""
    missing = expected - delivered
    extra = delivered - expected
    receipted = {str(r["info"]["original"]["message_id"]).lower() for r in out.receipts}
    granted = {
        (str(d["message_id"]).lower(), d["party_her_id"])
        for d in out.decisions
        if d["outcome"] == "GRANTED"
    }
    stages: Counter[str] = Counter()
    for msg_id, her_id, _ in missing:
        if (msg_id, her_id) in granted:
            stages["granted by route, delivery missing"] += 1
        elif msg_id in receipted:
            stages["receipted by validate, no grant"] += 1
        else:
            stages["no receipt"] += 1
    return (
        f"{sum(missing.values())} missing, {sum(extra.values())} extra; {dict(stages)}; "
        f"first missing {sorted(missing)[:5]}; worker log:\n"
        + "\n".join(workers.notable_log_lines()[-80:])
    )
