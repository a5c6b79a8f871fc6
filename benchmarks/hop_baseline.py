"""The hop baseline: what one pipeline hop costs with no work in it, raw aiokafka beside a Faust
agent built as the workers are (``hop_forwarder.py``), on the same broker, settings and bytes.

Every input crosses several hops (validate, route, receipts to the sender, the journey) and
each hop's stage also writes decisions, deliveries and table changelogs, so the pipeline can go
no faster than (records handled per input) x (cost of one record): this row says how much of
that cost is the framework's rather than samflyt's.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from benchmarks.env import derive
from benchmarks.workers import sample, worker_env
from streams.harness import producer_for
from streams.principals import ADMIN
from streams.settings import Settings

KEYS = 214  # distinct record keys, as many as the small world's senders
START_DEADLINE_S = 120.0


@dataclass
class HopResult:
    mode: str  # "raw" or "faust"
    messages: int  # records forwarded while measured (from the first one read back)
    seconds: float
    cpu_s: float  # of the forwarding process, over the same interval

    @property
    def msgs_per_s(self) -> float:
        return self.messages / self.seconds

    @property
    def cpu_us_per_record(self) -> float:
        return self.cpu_s / self.messages * 1e6


async def run_hop_baseline(
    settings: Settings, payloads: Sequence[bytes], mode: str, log_dir: Path
) -> HopResult:
    """Fill a topic with ``payloads``, start the forwarder, time it from its first output on."""
    run_id = f"hop-{mode}-{uuid.uuid4().hex[:6]}"
    scoped = derive(settings, app_id=f"samflyt-bench-{run_id}", worker_web_port=0)
    source, target = settings.topic(f"{run_id}.in"), settings.topic(f"{run_id}.out")
    admin = AIOKafkaAdminClient(**settings.kafka(ADMIN).options())
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, settings.partitions, settings.replication_factor)
             for t in (source, target)]
        )  # fmt: skip
        await _fill(settings, source, payloads)
        # the hop's topics are its own, outside the catalogue: it runs as the broker admin
        env = worker_env(scoped) | {
            "HOP_IN": source, "HOP_OUT": target, "SAMFLYT_KAFKA_SASL_USERNAME": ADMIN
        }
        proc = _start_forwarder(mode, env, log_dir / f"{run_id}.log")
        try:
            return await _measure(settings, target, len(payloads), mode, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        try:
            await admin.delete_topics([source, target])
        finally:
            await admin.close()


def _start_forwarder(mode: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "benchmarks.hop_forwarder", mode],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def _fill(settings: Settings, topic: str, payloads: Sequence[bytes]) -> None:
    producer = producer_for(settings, ADMIN)
    await producer.start()
    try:
        sent = [await producer.send(topic, p, key=str(i % KEYS).encode())
                for i, p in enumerate(payloads)]  # fmt: skip
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _measure(
    settings: Settings, topic: str, count: int, mode: str, proc: subprocess.Popen[bytes]
) -> HopResult:
    consumer = AIOKafkaConsumer(
        topic,
        **settings.kafka(ADMIN).options(),
        group_id=None,
        auto_offset_reset="earliest",
        max_poll_records=5000,
    )
    await consumer.start()
    try:
        seen = first = 0
        started = cpu_at_start = 0.0
        deadline = time.monotonic() + START_DEADLINE_S
        while seen < count:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"hop baseline ({mode}): {seen} of {count} forwarded")
            n = sum(len(r) for r in (await consumer.getmany(timeout_ms=200)).values())
            if n and not seen:  # the clock starts at the first record out: startup excluded
                started, first = time.perf_counter(), n
                cpu_at_start = _cpu(proc)
            seen += n
        elapsed = time.perf_counter() - started
        if seen > count or first == count:
            raise RuntimeError(f"hop baseline ({mode}): {seen} read for {count}, {first} at once")
        return HopResult(mode, count - first, elapsed, _cpu(proc) - cpu_at_start)
    finally:
        await consumer.stop()


def _cpu(proc: subprocess.Popen[bytes]) -> float:
    s = sample(proc.pid)
    if s is None:
        raise RuntimeError("hop baseline: the forwarder exited")
    return s.cpu_s
