"""``make bench``: the Kafka baseline, the work baseline and the pipeline, side by side, in one
run on the real local broker and database. See ``benchmarks/README.md`` for what each figure
means. Exits non-zero if the pipeline lost or duplicated a message."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
import time
from typing import Any

from benchmarks.env import bench_database
from benchmarks.hop_baseline import HopResult, run_hop_baseline
from benchmarks.inputs import Supply, generate
from benchmarks.kafka_baseline import run_kafka_baseline
from benchmarks.pipeline_run import PhasePlan, check, phase_rows, run_pipeline
from benchmarks.profiles import profile, scaling, sustained, tuning
from benchmarks.report import RESULTS_DIR, machine, median_of, table, write_results
from benchmarks.work_baseline import run_work_baseline
from streams.settings import Settings, load_settings
from streams.synthetic import SyntheticWorld, TrafficItem, build_world

NATIONAL_PEAK = 150.0
NATIONAL_AVERAGE = 10.0
AVERAGE_PHASE = f"national average {NATIONAL_AVERAGE:.0f}/s"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    p.add_argument("--repeats", type=int, default=3, help="runs per figure (median reported)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--size", type=int, default=5000, help="target message size in bytes")
    p.add_argument("--pool", type=int, default=4000, help="distinct generated inputs")
    p.add_argument("--backlog", type=int, default=1500, help="saturation backlog (messages)")
    p.add_argument("--latency-seconds", type=float, default=8.0)
    p.add_argument("--average-seconds", type=float, default=30.0)
    p.add_argument("--peak-seconds", type=float, default=15.0)
    p.add_argument("--burst-rate", type=float, default=5 * NATIONAL_PEAK)
    p.add_argument("--burst-seconds", type=float, default=10.0)
    p.add_argument(
        "--guarantees",
        default="at_least_once,exactly_once:1",
        help="comma-separated guarantee[:workers] (default workers: --workers); first is main. "
        "exactly_once runs with one worker by default: faust-streaming fences its own "
        "transactional producers when several workers share the partitions",
    )
    p.add_argument("--tuning", action="store_true", help="also try the tuning levers, once each")
    p.add_argument(
        "--levers",
        default="",
        help="with --tuning: only these levers (comma-separated names, e.g. 'linger 20 ms')",
    )
    p.add_argument("--profile", action="store_true", help="profile one worker once")
    p.add_argument("--sustained", action="store_true", help="the 10-minute sustained profile")
    p.add_argument("--sustained-rate", type=float, default=1000.0)
    p.add_argument("--sustained-seconds", type=float, default=600.0)
    p.add_argument("--scaling", action="store_true", help="size and recipient sweeps")
    p.add_argument("--skip-baselines", action="store_true")
    p.add_argument("--scale", default="small", choices=["small", "region", "national"])
    return p.parse_args(argv)


async def bench(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    base = load_settings(partitions=args.partitions, environment="test")
    started = time.time()
    result: dict[str, Any] = {"machine_before": machine(), "args": vars(args)}
    print(f"generating inputs (world {args.scale}, {args.pool} messages of ~{args.size} B) ...")
    world = build_world(seed=1, scale=args.scale)
    pool = generate(world, args.pool, target_size=args.size)
    rows: list[tuple[str, dict[str, float]]] = []
    failures: list[str] = []
    log_dir = RESULTS_DIR / "logs"
    async with bench_database(base, world) as settings:
        if not args.skip_baselines:
            rows += await baselines(settings, world, pool, args, result)
        guarantees = parse_guarantees(args.guarantees, args.workers)
        average = national_average(args)
        extra = [
            average,
            PhasePlan("national peak 150/s", int(NATIONAL_PEAK * args.peak_seconds),
                      NATIONAL_PEAK),
            PhasePlan(f"burst {args.burst_rate:.0f}/s", int(args.burst_rate * args.burst_seconds),
                      args.burst_rate),
        ]  # fmt: skip
        result["pipeline"] = {}
        for guarantee, workers in guarantees:
            key = f"{guarantee} {workers}w"
            runs = []
            for i in range(args.repeats):
                print(f"pipeline {key} run {i + 1}/{args.repeats} ...", flush=True)
                try:
                    run = await run_pipeline(
                        settings, Supply(pool), label=guarantee.replace("_", "-"),
                        workers=workers, backlog=args.backlog,
                        latency_s=args.latency_seconds, extra_phases=extra, log_dir=log_dir,
                        overrides={"processing_guarantee": guarantee},
                    )  # fmt: skip
                except (RuntimeError, TimeoutError) as exc:  # a stalled or crashed pipeline
                    failures.append(f"{key} run {i + 1}: {exc}")
                    print(f"  FAILED: {exc}", flush=True)
                    break
                runs.append(run)
                check(run, failures)
            if not runs:
                continue
            rows += phase_rows(runs, f"pipeline {key}")
            result["pipeline"][key] = [dataclasses.asdict(r) for r in runs]
        if args.tuning:
            rows += await tuning(settings, pool, args, result, failures, log_dir, [average])
        if args.profile:
            await profile(settings, pool, args, result, failures, log_dir)
        if args.scaling:
            rows += await scaling(settings, world, args, result, failures, log_dir)
        if args.sustained:
            rows += await sustained(settings, pool, args, result, failures, log_dir)
    result["rows"] = rows
    result["machine_after"] = machine()
    result["elapsed_s"] = time.time() - started
    result["failures"] = failures
    print()
    print(table(rows))
    print_headroom(rows, result)
    path = write_results(strip_samples(result))
    print(f"\nresults: {path}  (load average after: {os.getloadavg()[0]:.2f})")
    if failures:
        print("\nFAILED: the pipeline lost or duplicated messages:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    return 0


def national_average(args: argparse.Namespace) -> PhasePlan:
    """Norway's average rate: where the platform spends most of its hours, so what it costs
    there (CPU per input, latency) matters as much as how fast it can go."""
    count = max(1, int(NATIONAL_AVERAGE * args.average_seconds))
    return PhasePlan(AVERAGE_PHASE, count, NATIONAL_AVERAGE)


def parse_guarantees(spec: str, default_workers: int) -> list[tuple[str, int]]:
    """``at_least_once,exactly_once:1`` → [("at_least_once", default), ("exactly_once", 1)]."""
    out = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, _, workers = part.partition(":")
        out.append((name.strip(), int(workers) if workers else default_workers))
    return out


async def baselines(
    settings: Settings,
    world: SyntheticWorld,
    pool: list[TrafficItem],
    args: argparse.Namespace,
    result: dict[str, Any],
) -> list[tuple[str, dict[str, float]]]:
    payloads = [i.data for i in pool]
    kafka, lz4, work = [], [], []
    hops: dict[str, list[HopResult]] = {"raw": [], "faust": []}
    compression = settings.compression_type
    for i in range(args.repeats):
        print(f"baselines run {i + 1}/{args.repeats} ...", flush=True)
        kafka.append(await run_kafka_baseline(settings, payloads, compression=compression))
        if compression != "lz4":
            lz4.append(await run_kafka_baseline(settings, payloads, compression="lz4"))
        for mode, results in hops.items():
            results.append(
                await run_hop_baseline(settings, payloads * 2, mode, RESULTS_DIR / "logs" / "hop")
            )
        work.append(run_work_baseline(settings, world, pool))
    mb = sum(len(p) for p in payloads) / 1e6
    produce = median_of({"msgs_per_s": k.produce_msgs_per_s, "mb_per_s": mb / k.produce_s}
                        for k in kafka)  # fmt: skip
    consume = median_of({"msgs_per_s": k.consume_msgs_per_s, "mb_per_s": mb / k.consume_s}
                        for k in kafka)  # fmt: skip
    work_fig = median_of(
        {"msgs_per_s": w.msgs_per_s, "mb_per_s": mb / w.seconds,
         "cpu_s_per_1000": w.seconds / w.messages * 1000}
        for w in work
    )  # fmt: skip
    steps = median_of(w.step_us() for w in work)
    result["kafka_baseline"] = [dataclasses.asdict(k) for k in kafka]
    result["kafka_baseline_compression"] = compression or "none"
    result["kafka_baseline_lz4"] = [dataclasses.asdict(k) for k in lz4]
    result["work_baseline"] = {"figures": work_fig, "step_us": steps}
    result["hop_baseline"] = {m: [dataclasses.asdict(h) for h in r] for m, r in hops.items()}
    hop_rows = [
        (f"hop baseline {label} (consume -> produce, 1 process)",
         median_of({"msgs_per_s": h.msgs_per_s, "mb_per_s": h.msgs_per_s * mb / len(payloads),
                    "cpu_s_per_1000": h.cpu_s / h.messages * 1000} for h in hops[mode]))
        for mode, label in (("raw", "raw aiokafka"), ("faust", "Faust agent"))
    ]  # fmt: skip
    print(
        "\none hop, no work (CPU per record forwarded): "
        + ", ".join(f"{label.split(' (')[0]} {f['cpu_s_per_1000'] * 1000:.0f} µs"
                    for label, f in hop_rows)
    )  # fmt: skip
    print("\nwhere the time goes (work baseline, µs per input, median):")
    total = sum(steps.values())
    for name, us in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<50} {us:8.0f} µs  {100 * us / total:5.1f} %")
    rows = [
        (f"kafka baseline produce ({compression or 'none'})", produce),
        (f"kafka baseline consume ({compression or 'none'})", consume),
    ]
    if lz4:
        rows.append(
            ("kafka baseline produce (lz4, level 9)",
             median_of({"msgs_per_s": k.produce_msgs_per_s, "mb_per_s": mb / k.produce_s}
                       for k in lz4)),
        )  # fmt: skip
    return [*rows, *hop_rows, ("work baseline (1 process)", work_fig)]


def print_headroom(rows: list[tuple[str, dict[str, float]]], result: dict[str, Any]) -> None:
    figures = dict(rows)
    sat = next((f for n, f in rows if n.endswith(" saturation")), None)
    if sat is None:
        return
    rate = sat["msgs_per_s"]
    work = figures.get("work baseline (1 process)", {}).get("msgs_per_s")
    headroom = {
        "saturation_msgs_per_s": rate,
        "headroom_vs_national_peak": rate / NATIONAL_PEAK,
        "headroom_vs_national_average": rate / NATIONAL_AVERAGE,
    }
    if work:
        headroom["pipeline_vs_work_baseline"] = rate / work
    average = next((f for n, f in rows if n.endswith(f" {AVERAGE_PHASE}")), None)
    if average is not None:
        headroom |= {
            "national_average_worker_cpu_pct": average["worker_cpu_pct_of_machine"],
            "national_average_p99_ms": average.get("p99_ms", float("nan")),
        }
    result["headroom"] = headroom
    print(
        f"\nheadroom: {rate:,.0f} msg/s = {rate / NATIONAL_PEAK:.1f}x Norway's peak "
        f"(150/s), {rate / NATIONAL_AVERAGE:.0f}x its average (10/s)"
        + (
            f"; pipeline = {100 * rate / work:.0f} % of the one-process work baseline"
            if work
            else ""
        )
    )
    if average is not None:
        print(
            f"at Norway's average ({NATIONAL_AVERAGE:.0f}/s): the workers use "
            f"{average['worker_cpu_pct_of_machine']:.0f} % of the machine "
            f"({average['cpu_s_per_1000']:.1f} CPU-ms per input), "
            f"p50/p99 {average.get('p50_ms', float('nan')):.0f}/"
            f"{average.get('p99_ms', float('nan')):.0f} ms"
        )


def strip_samples(result: dict[str, Any]) -> dict[str, Any]:
    """Raw latency samples are many; keep the figures, not every sample."""
    for runs in result.get("pipeline", {}).values():
        for run in runs:
            for phase in run["phases"]:
                phase.pop("latencies_ms", None)
                phase.pop("first_latencies_ms", None)
    return result


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(bench(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
