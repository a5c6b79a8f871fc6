"""A small run of the benchmark harness: one worker process, a few dozen messages, every input
accounted for (delivered or dead-lettered) and nothing delivered twice. Never asserts a speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.env import bench_database
from benchmarks.hop_baseline import run_hop_baseline
from benchmarks.inputs import Supply, generate
from benchmarks.pipeline_run import run_pipeline
from benchmarks.work_baseline import run_work_baseline
from streams.settings import Settings
from streams.synthetic import build_world

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_harness_runs_the_pipeline_without_loss_or_duplicates(
    settings: Settings, tmp_path: Path
) -> None:
    world = build_world(seed=1, scale="small")
    pool = generate(world, 50, target_size=2000)
    assert run_work_baseline(settings, world, pool[:10]).messages == 10
    async with bench_database(settings, world) as bench_settings:
        run = await run_pipeline(
            bench_settings,
            Supply(pool),
            label="smoke",
            workers=1,
            warmup=10,
            backlog=30,
            latency_s=1.0,
            log_dir=tmp_path,
        )
    assert run.accounting.ok, run.accounting.summary()
    assert run.accounting.inputs >= 50
    assert [p.name for p in run.phases] == ["saturation", "latency@half"]
    assert all(p.messages > 0 and p.wall_s > 0 for p in run.phases)
    written = run.written_per_input
    assert written["canonical.events"] > 0.5, written  # most inputs are valid: one event each
    assert any(name.endswith("-changelog") for name in written), written


@pytest.mark.parametrize("mode", ["raw", "faust"])
async def test_the_hop_baseline_forwards_the_records_and_times_them(
    settings: Settings, tmp_path: Path, mode: str
) -> None:
    payloads = [f"<m>{i}</m>".encode() for i in range(2000)]
    result = await run_hop_baseline(settings, payloads, mode, tmp_path)
    assert result.mode == mode
    assert 0 < result.messages <= len(payloads)
    assert result.seconds > 0 and result.cpu_s >= 0
