"""The pipeline under load: N ``samflyt worker`` processes on a fresh topic prefix, driven
through the raw topics, measured from outside (committed outputs, /proc of the workers)."""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from benchmarks.env import (
    drop_topics,
    new_scope,
    prepare_topics,
    wait_drained,
    wait_group_stable,
)
from benchmarks.inputs import Supply
from benchmarks.metrics import scrape
from benchmarks.report import median_of
from benchmarks.traffic import WATCHED, Sent, Watcher, send_paced
from benchmarks.verify import Accounting, must_reach_someone, verify
from benchmarks.workers import WorkerGroup, machine_cpu_s
from streams.admin import partitions_of
from streams.harness import OUTPUT_TOPICS, producer_for, snapshot
from streams.principals import OPERATOR
from streams.settings import Settings
from streams.synthetic import TrafficItem
from streams.topics import CATALOGUE, changelog_specs


@dataclass
class Phase:
    """One measured stretch of a pipeline run."""

    name: str
    messages: int
    bytes_in: int
    wall_s: float
    worker_cpu_s: float
    machine_cpu_s: float
    peak_rss_mb: float
    rss_mb: float = 0.0  # all workers, at the end of the phase
    latencies_ms: list[float] = field(default_factory=list)  # last output minus sent
    first_latencies_ms: list[float] = field(default_factory=list)  # first output minus sent
    longest_gap_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, float]:
        cores = os.cpu_count() or 1
        out = {
            "msgs_per_s": self.messages / self.wall_s,
            "mb_per_s": self.bytes_in / self.wall_s / 1e6,
            "cpu_s_per_1000": self.worker_cpu_s / self.messages * 1000,
            "worker_cpu_pct_of_machine": 100 * self.worker_cpu_s / (self.wall_s * cores),
            "machine_busy_pct": 100 * self.machine_cpu_s / (self.wall_s * cores),
            "peak_rss_mb": self.peak_rss_mb,
        }
        for name, values in (("", self.latencies_ms), ("first_", self.first_latencies_ms)):
            if values:
                q = statistics.quantiles(values, n=100, method="inclusive")
                out |= {f"{name}p50_ms": q[49], f"{name}p95_ms": q[94], f"{name}p99_ms": q[98]}
        if self.longest_gap_ms:
            out["longest_gap_ms"] = self.longest_gap_ms
        return out | {k: float(v) for k, v in self.extra.items()}


@dataclass
class PhasePlan:
    name: str
    count: int
    rate: float | None  # None: a backlog offered at once (saturation); "half": see run_pipeline
    pool: str = "default"


@dataclass
class PipelineRun:
    label: str
    settings: dict[str, Any]
    phases: list[Phase]
    accounting: Accounting
    pipeline_metrics: dict[str, float] | None = None
    # records the workers wrote per input, by topic (catalogue topics by their catalogue name)
    written_per_input: dict[str, float] = field(default_factory=dict)


class Driver:
    """A started worker group plus the bench's producer and watcher for one run."""

    def __init__(self, settings: Settings, workers: WorkerGroup) -> None:
        self.settings = settings
        self.workers = workers
        self.producer = producer_for(settings)
        self.sent = Sent()
        self.items: list[TrafficItem] = []
        self.watcher: Watcher | None = None
        self.metrics: dict[str, float] | None = None
        self.startup_s = 0.0

    async def start(self, warmup: Sequence[TrafficItem], deadline_s: float = 90.0) -> None:
        await self.producer.start()
        self.watcher = Watcher(self.settings, await snapshot(self.settings, WATCHED))
        await self.watcher.start()
        self.workers.start()
        self.startup_s = await wait_group_stable(self.settings, self.workers.count)
        # the warm-up also waits out the registry load
        await self.phase("warm-up", warmup, None, deadline_s=deadline_s)

    async def phase(
        self,
        name: str,
        items: Sequence[TrafficItem],
        rate: float | None,
        deadline_s: float = 300.0,
    ) -> Phase:
        assert self.watcher is not None
        self.items.extend(items)
        sent = Sent()
        cpu0, mcpu0, t0 = self.workers.cpu_s(), machine_cpu_s(), time.time()
        sender = asyncio.create_task(send_paced(self.settings, items, rate, self.producer, sent))
        while not sender.done():
            self.workers.check_alive()
            await asyncio.sleep(0.2)
        await sender
        expects = {i.expected.msg_id for i in items if must_reach_someone(i)}
        must = [t for t, m in sent.message_ids.items() if m in expects]
        done = await self.watcher.wait_for(must, deadline_s, quiet_s=0.5)
        self.workers.check_alive()
        cpu1, mcpu1 = self.workers.cpu_s(), machine_cpu_s()
        seen = self.watcher.seen
        if not done:
            missing = set(must) - seen.first.keys()
            types = {i.expected.msg_id: i.expected.msg_type for i in items}
            example = sorted({types[sent.message_ids[t]] for t in missing})
            raise RuntimeError(
                f"{name}: {len(missing)} of {len(items)} inputs produced no output "
                f"(types {example}); worker logs in {self.workers.log_dir}"
            )
        traced = [t for t in sent.at if t in seen.first]
        end = max(seen.last[t] for t in traced)
        lat = [(seen.last[t] - sent.at[t]) * 1000 for t in traced]
        first = [(seen.first[t] - sent.at[t]) * 1000 for t in traced]
        outs = sorted(seen.first[t] for t in traced)
        gap = max((b - a for a, b in itertools.pairwise(outs)), default=0.0)
        self.sent.at |= sent.at
        return Phase(
            name=name,
            messages=len(items),
            bytes_in=sum(len(i.data) for i in items),
            wall_s=end - t0,
            worker_cpu_s=cpu1 - cpu0,
            machine_cpu_s=mcpu1 - mcpu0,
            peak_rss_mb=self.workers.peak_rss_mb(),
            rss_mb=self.workers.rss_mb(),
            latencies_ms=lat,
            first_latencies_ms=first,
            longest_gap_ms=gap * 1000,
        )

    async def stop(self) -> None:
        if self.workers.procs:
            self.metrics = await asyncio.to_thread(scrape, self.workers.metrics_ports)
        if self.watcher is not None:
            await self.watcher.stop()
        await self.producer.stop()
        self.workers.stop()


async def run_pipeline(
    base: Settings,
    supply: Supply,
    *,
    label: str,
    workers: int,
    backlog: int,
    latency_s: float,
    extra_phases: Sequence[PhasePlan] = (),
    log_dir: Path,
    profile_to: Path | None = None,
    pools: dict[str, Supply] | None = None,
    overrides: Mapping[str, object] | None = None,
    warmup: int = 100,
) -> PipelineRun:
    """Saturation (drain a backlog), latency at half that rate, then ``extra_phases``."""
    scope = new_scope(base, label, **(overrides or {}))
    settings = scope.settings
    await prepare_topics(settings)
    start = await snapshot(settings, OUTPUT_TOPICS)
    written_before = await records_written(settings)
    group = WorkerGroup(settings, workers, log_dir / scope.run_id, profile_to)
    driver = Driver(settings, group)
    phases: list[Phase] = []
    try:
        try:
            await driver.start(supply.take(warmup))
            sat = await driver.phase("saturation", supply.take(backlog), None)
            phases.append(sat)
            half = max(10.0, sat.messages / sat.wall_s / 2)
            n = int(half * latency_s)
            phases.append(await driver.phase("latency@half", supply.take(n), half))
            saturation = sat.messages / sat.wall_s
            for plan in extra_phases:
                source = (pools or {}).get(plan.pool, supply)
                # above saturation a phase only grows a queue: offer at most ~30 s of drain
                # (a phase paced below saturation, e.g. a sustained minute, runs whole)
                count = plan.count
                if plan.rate is None or plan.rate > saturation:
                    count = min(count, max(100, int(30 * saturation)))
                phase = await driver.phase(plan.name, source.take(count), plan.rate)
                phase.extra["truncated"] = float(count < plan.count)
                phases.append(phase)
            await wait_drained(settings)
            written_after = await records_written(settings)
        finally:
            await driver.stop()
        accounting = await verify(settings, start, driver.items)
        inputs = len(driver.items)
        written = {
            name: (written_after[name] - written_before.get(name, 0)) / inputs
            for name in written_after
            if written_after[name] > written_before.get(name, 0)
        }
    finally:
        await drop_topics(settings)
    shown = {
        k: getattr(settings, k)
        for k in (
            "processing_guarantee",
            "partitions",
            "commit_interval_seconds",
            "max_poll_records",
            "producer_linger_ms",
        )
    }
    return PipelineRun(
        label, shown | {"workers": workers}, phases, accounting, driver.metrics, written
    )


async def records_written(settings: Settings) -> dict[str, int]:
    """Records in each topic the workers write: every catalogue topic but the ingest (raw) and
    registry topics, which the bench and the registry feed fill, plus the table changelogs.
    Summed end offsets (at-least-once writes no transaction markers, so offsets are records)."""
    names = {
        settings.topic(t.name): t.name
        for t in CATALOGUE
        if not t.name.startswith(("raw.", "registry."))
    }
    partitions = partitions_of(settings, names.values()) + [
        TopicPartition(spec.name, p)
        for spec in changelog_specs(settings.app_id)
        for p in range(spec.partitions or settings.partitions)
    ]
    consumer = AIOKafkaConsumer(**settings.kafka(OPERATOR).options())
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    out: dict[str, int] = {}
    for tp, end in ends.items():
        name = names.get(tp.topic, tp.topic.removeprefix(f"{settings.app_id}-"))
        out[name] = out.get(name, 0) + end
    return out


def phase_rows(runs: Sequence[PipelineRun], prefix: str) -> list[tuple[str, dict[str, float]]]:
    """One row per phase: the median of each figure over the runs."""
    rows = []
    for name in [p.name for p in runs[0].phases]:
        figures = [next(p for p in r.phases if p.name == name).figures() for r in runs]
        rows.append((f"{prefix} {name}", median_of(figures)))
    return rows


def check(run: PipelineRun, failures: list[str]) -> None:
    """Print the run's accounting; remember it as a failure if anything was lost or doubled."""
    print(f"  {run.accounting.summary()}", flush=True)
    if run.written_per_input:
        parts = sorted(run.written_per_input.items(), key=lambda kv: -kv[1])
        print(
            f"  records written per input: {sum(run.written_per_input.values()):.2f} ("
            + ", ".join(f"{name} {n:.2f}" for name, n in parts)
            + ")",
            flush=True,
        )
    if not run.accounting.ok:
        failures.append(
            f"{run.label}: {run.accounting.summary()}; lost e.g. {run.accounting.lost[:3]}, "
            f"duplicated e.g. {run.accounting.duplicated[:3]}"
        )
