"""The optional profiles: tuning levers, one profiled worker, the size / recipient sweeps and
the sustained run. Each is a pipeline run with other settings or other phases."""

from __future__ import annotations

import argparse
import dataclasses
import statistics
from pathlib import Path
from typing import Any

from benchmarks.inputs import Supply, generate
from benchmarks.pipeline_run import PhasePlan, check, phase_rows, run_pipeline
from benchmarks.report import RESULTS_DIR
from streams.settings import Settings
from streams.synthetic import SyntheticWorld, TrafficItem

Rows = list[tuple[str, dict[str, float]]]

TUNING: tuple[tuple[str, dict[str, object]], ...] = (
    ("commit 0.5 s", {"commit_interval_seconds": 0.5}),
    ("commit 0.02 s", {"commit_interval_seconds": 0.02}),
    ("max poll 50", {"max_poll_records": 50}),
    ("max poll 1000", {"max_poll_records": 1000}),
    ("linger 1 ms", {"producer_linger_ms": 1}),
    ("linger 20 ms", {"producer_linger_ms": 20}),
    ("8 partitions", {"partitions": 8}),
    ("asyncio event loop", {"event_loop": "asyncio"}),
    ("lz4 compression", {"producer_compression": "lz4"}),
    ("fetch 64 KB or 20 ms", {"consumer_fetch_min_bytes": 65536, "consumer_fetch_max_wait_ms": 20}),
    ("clock 15 s", {"clock_interval_seconds": 15.0}),
)


async def tuning(
    settings: Settings,
    pool: list[TrafficItem],
    args: argparse.Namespace,
    result: dict[str, Any],
    failures: list[str],
    log_dir: Path,
    extra_phases: list[PhasePlan] | None = None,
) -> Rows:
    """Each lever once (the default guarantee): saturation, latency at half of it, then
    ``extra_phases`` (the national average, so a lever is judged where the hours are)."""
    rows: Rows = []
    result["tuning"] = {}
    chosen = {n.strip() for n in args.levers.split(",") if n.strip()}
    unknown = chosen - {name for name, _ in TUNING}
    if unknown:
        known = [n for n, _ in TUNING]
        raise SystemExit(f"unknown tuning levers: {sorted(unknown)}; known: {known}")
    for name, overrides in TUNING:
        if chosen and name not in chosen:
            continue
        print(f"tuning: {name} ...", flush=True)
        try:
            run = await run_pipeline(
                settings, Supply(pool), label="tuning", workers=args.workers,
                backlog=args.backlog, latency_s=args.latency_seconds, log_dir=log_dir,
                overrides=overrides, extra_phases=extra_phases or (),
            )  # fmt: skip
        except (RuntimeError, TimeoutError) as exc:
            failures.append(f"tuning {name}: {exc}")
            print(f"  FAILED: {exc}", flush=True)
            continue
        check(run, failures)
        rows += phase_rows([run], f"tuning {name}")
        result["tuning"][name] = dataclasses.asdict(run)
    return rows


async def profile(
    settings: Settings,
    pool: list[TrafficItem],
    args: argparse.Namespace,
    result: dict[str, Any],
    failures: list[str],
    log_dir: Path,
) -> None:
    """One run with the first worker under a sampling profiler; its report lands beside the
    results (text, the call tree with the time per frame)."""
    out = RESULTS_DIR / "worker-profile.txt"
    print("profiling one worker ...", flush=True)
    try:
        run = await run_pipeline(
            settings, Supply(pool), label="profile", workers=args.workers,
            backlog=args.backlog * 2, latency_s=args.latency_seconds, log_dir=log_dir,
            profile_to=out,
        )  # fmt: skip
    except (RuntimeError, TimeoutError) as exc:  # a stalled run: recorded, the rest goes on
        failures.append(f"profile: {exc}")
        print(f"  FAILED: {exc}", flush=True)
        return
    check(run, failures)
    result["profile"] = {"report": str(out), "run": dataclasses.asdict(run)}
    print(f"  profile: {out}")


async def scaling(
    settings: Settings,
    world: SyntheticWorld,
    args: argparse.Namespace,
    result: dict[str, Any],
    failures: list[str],
    log_dir: Path,
) -> Rows:
    """Saturation against message size (2, 5, 20 KB) and recipients per message (1, 3, most)."""
    pools: dict[str, Supply] = {}
    plans: list[PhasePlan] = []
    for size in (2000, 5000, 20000):
        name = f"size {size // 1000} KB"
        pools[name] = Supply(generate(world, args.pool, target_size=size))
        plans.append(PhasePlan(name, args.backlog, None, pool=name))
    mixed = generate(world, args.pool * 3, seed=2, target_size=args.size)
    most = max(len(i.expected.recipients) for i in mixed)
    for wanted in sorted({1, 3, most}):
        chosen = [i for i in mixed if len(i.expected.recipients) == wanted]
        if not chosen:
            continue
        name = f"{wanted} recipients"
        pools[name] = Supply(chosen)
        plans.append(PhasePlan(name, min(args.backlog, 4 * len(chosen)), None, pool=name))
    rows: Rows = []
    runs = []
    for i in range(args.repeats):
        print(f"scaling run {i + 1}/{args.repeats} ...", flush=True)
        run = await run_pipeline(
            settings, pools["size 5 KB"], label="scaling", workers=args.workers,
            backlog=args.backlog, latency_s=2.0, extra_phases=plans, log_dir=log_dir,
            pools=pools,
        )  # fmt: skip
        check(run, failures)
        runs.append(run)
    rows += [r for r in phase_rows(runs, "scaling") if not r[0].endswith(("saturation", "half"))]
    result["scaling"] = [dataclasses.asdict(r) for r in runs]
    return rows


async def sustained(
    settings: Settings,
    pool: list[TrafficItem],
    args: argparse.Namespace,
    result: dict[str, Any],
    failures: list[str],
    log_dir: Path,
) -> Rows:
    """``--sustained-rate`` for ``--sustained-seconds`` in one-minute phases, so latency, lag
    and memory can be followed minute by minute (memory flat: last vs first minute)."""
    minutes = max(1, round(args.sustained_seconds / 60))
    rate = args.sustained_rate
    plans = [PhasePlan(f"sustained min {m + 1:02d}", int(rate * 60), rate)
             for m in range(minutes)]  # fmt: skip
    print(f"sustained {rate:.0f}/s for {minutes} min ...", flush=True)
    run = await run_pipeline(
        settings, Supply(pool), label="sustained", workers=args.workers, backlog=args.backlog,
        latency_s=2.0, extra_phases=plans, log_dir=log_dir,
    )  # fmt: skip
    check(run, failures)
    minute = [p for p in run.phases if p.name.startswith("sustained")]
    lat = [x for p in minute for x in p.latencies_ms]
    q = statistics.quantiles(lat, n=100, method="inclusive")
    rss = [p.rss_mb for p in minute]
    summary = {
        "msgs_per_s": sum(p.messages for p in minute) / sum(p.wall_s for p in minute),
        "p50_ms": q[49], "p95_ms": q[94], "p99_ms": q[98],
        "peak_rss_mb": max(p.peak_rss_mb for p in minute),
        "memory_growth_pct": 100 * (rss[-1] / rss[0] - 1) if rss[0] else 0.0,
        "cpu_s_per_1000": 1000 * sum(p.worker_cpu_s for p in minute)
        / sum(p.messages for p in minute),
    }  # fmt: skip
    result["sustained"] = {"summary": summary, "run": dataclasses.asdict(run)}
    for p in minute:
        p.latencies_ms, p.first_latencies_ms = [], []
    return [(f"sustained {rate:.0f}/s {minutes} min", summary)]
