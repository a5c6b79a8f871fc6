"""Fault injection: steady traffic through two workers while one fault is injected, counted
with the harness's own accounting (issue 25). Not a test: the figures are timings on a shared
machine, to compare inside one run.

Faults: a worker SIGKILLed and started again at once (as a supervisor would); a rolling
restart (each worker stopped with SIGTERM and started again once the group is whole), with
dynamic and with static membership; and the broker stopped and started again. The broker
fault restarts the broker of ``infra/kafka/kafka.sh`` in this environment, so it runs only on
a private instance (``SAMFLYT_STATE_DIR`` set)::

    python -m benchmarks.faults [--faults kill,rolling,rolling-static,broker] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.env import (
    bench_database,
    drop_topics,
    new_scope,
    prepare_topics,
    wait_drained,
    wait_group_stable,
)
from benchmarks.fault_figures import Window, gap_and_recovery, log_lines_between
from benchmarks.inputs import Supply, generate, relabel
from benchmarks.report import RESULTS_DIR, machine, write_results
from benchmarks.traffic import WATCHED, Sent, Watcher, send_paced
from benchmarks.verify import Accounting, must_reach_someone, verify
from benchmarks.workers import WorkerGroup
from streams.harness import OUTPUT_TOPICS, producer_for, snapshot
from streams.settings import REPO_ROOT, Settings, load_settings
from streams.synthetic import SyntheticWorld, TrafficItem, build_world, scenario_traffic

FAULTS = ("kill", "rolling", "rolling-static", "broker")
FAULT_AT_S = 10.0  # into the steady traffic


@dataclass
class FaultRun:
    fault: str
    accounting: Accounting
    inputs: int
    longest_gap_s: float
    recover_s: float  # fault (the broker: its readiness) → last input slower than 2 s done
    log_lines: int  # all workers, from the fault to the recovery
    client_lines_held_back: int
    window: dict[str, float] = field(default_factory=dict)

    def row(self) -> str:
        a = self.accounting
        return (
            f"| {self.fault} | {self.inputs} | {a.delivered_distinct} | {a.dead_letters} |"
            f" {len(a.lost)} | {len(a.duplicated)} | {self.longest_gap_s:.1f} |"
            f" {self.recover_s:.1f} | {self.log_lines} | {self.client_lines_held_back} |"
        )


Inject = Callable[[WorkerGroup, Settings], Awaitable[Window]]


async def kill_one(workers: WorkerGroup, settings: Settings) -> Window:
    started = time.time()
    workers.procs[0].send_signal(signal.SIGKILL)
    await asyncio.to_thread(workers.procs[0].wait, 30)
    workers.restart(0)
    return Window(started, started)


async def rolling_restart(workers: WorkerGroup, settings: Settings) -> Window:
    started = time.time()
    for i in range(workers.count):
        workers.procs[i].send_signal(signal.SIGTERM)
        await asyncio.to_thread(workers.procs[i].wait, 60)
        workers.restart(i)
        await wait_group_stable(settings, workers.count, deadline_s=120)
    return Window(started, started)


async def restart_broker(workers: WorkerGroup, settings: Settings, down_s: float = 20.0) -> Window:
    started = time.time()
    await asyncio.to_thread(_broker, "stop")
    await asyncio.sleep(down_s)
    await asyncio.to_thread(_broker, "start")  # returns once the broker is ready
    return Window(started, time.time())


def _broker(action: str) -> None:
    script = REPO_ROOT / "infra" / "kafka" / "kafka.sh"
    subprocess.run(["bash", str(script), action], check=True, capture_output=True)


INJECT: dict[str, Inject] = {
    "kill": kill_one,
    "rolling": rolling_restart,
    "rolling-static": rolling_restart,
    "broker": restart_broker,
}


async def run_fault(
    base: Settings, fault: str, supply: Supply, rate: float, seconds: float, log_dir: Path
) -> FaultRun:
    scope = new_scope(base, f"fault-{fault}")
    settings = scope.settings
    await prepare_topics(settings)
    start = await snapshot(settings, OUTPUT_TOPICS)
    workers = WorkerGroup(
        settings, 2, log_dir / scope.run_id, static_membership=fault == "rolling-static"
    )
    producer = producer_for(settings)
    await producer.start()
    watcher = Watcher(settings, await snapshot(settings, WATCHED))
    await watcher.start()
    items: list[TrafficItem] = []
    sent = Sent()
    try:
        workers.start()
        await wait_group_stable(settings, 2)
        _say("group stable")
        warmup = supply.take(100)
        items += warmup
        await send_paced(settings, warmup, None, producer, sent)
        await watcher.wait_for(_must_answer(sent, warmup), 120, quiet_s=0.5)
        _say("warmed up")
        steady = supply.take(int(rate * seconds))
        items += steady
        sender = asyncio.create_task(send_paced(settings, steady, rate, producer, sent))
        await asyncio.sleep(FAULT_AT_S)
        _say(f"injecting {fault}")
        window = await INJECT[fault](workers, settings)
        await sender
        _say("sent")
        await watcher.wait_for(_must_answer(sent, items), 240, quiet_s=2.0)
        _say("outputs in")
        await wait_drained(settings, deadline_s=240)
    finally:
        await watcher.stop()
        await producer.stop()
        workers.stop()
    try:
        accounting = await verify(settings, start, items)
    finally:
        await drop_topics(settings)
    gap, recovered_at = gap_and_recovery(sent.at, watcher.seen.first, window)
    lines, held_back = log_lines_between(sorted(workers.log_dir.glob("*.log")), window.started,
                                         recovered_at)  # fmt: skip
    return FaultRun(
        fault,
        accounting,
        len(items),
        gap,
        recovered_at - window.ready,
        lines,
        held_back,
        {"started": window.started, "ready": window.ready, "recovered": recovered_at},
    )


def _must_answer(sent: Sent, items: Sequence[TrafficItem]) -> list[str]:
    """The trace ids of the inputs that must have an output (not those routed to nobody)."""
    must = {i.expected.msg_id for i in items if must_reach_someone(i)}
    return [trace for trace, msg_id in sent.message_ids.items() if msg_id in must]


def _say(what: str) -> None:
    print(f"  {time.strftime('%X')} {what}", flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__)
    p.add_argument("--faults", default=",".join(FAULTS))
    p.add_argument("--rate", type=float, default=50.0, help="steady input rate, msg/s")
    p.add_argument("--seconds", type=float, default=45.0, help="steady traffic per fault")
    p.add_argument("--invalid", type=float, default=0.03, help="share of invalid inputs")
    p.add_argument("--pool", type=int, default=2000)
    p.add_argument(
        "--session-timeout",
        type=float,
        default=None,
        help="SAMFLYT_KAFKA_SESSION_TIMEOUT_SECONDS for the workers (e.g. 60: Faust's own)",
    )
    return p.parse_args(argv)


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.ERROR)
    faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    if "broker" in faults and not os.environ.get("SAMFLYT_STATE_DIR"):
        print("the broker fault restarts the local broker: set SAMFLYT_STATE_DIR (a private"
              " instance) or leave it out of --faults", file=sys.stderr)  # fmt: skip
        return 2
    overrides: dict[str, Any] = {"partitions": 4, "environment": "test"}
    if args.session_timeout:
        overrides |= {
            "kafka_session_timeout_seconds": args.session_timeout,
            "kafka_heartbeat_interval_seconds": min(3.0, args.session_timeout / 3),
        }
    base = load_settings(**overrides)
    world = build_world(seed=1, scale="small")
    pool = with_invalid(generate(world, args.pool), world, args.invalid)
    result: dict[str, Any] = {"machine_before": machine(), "args": vars(args), "faults": []}
    runs: list[FaultRun] = []
    async with bench_database(base, world) as settings:
        supply = Supply(pool)
        for fault in faults:
            print(f"fault {fault} ...", flush=True)
            run = await run_fault(
                settings, fault, supply, args.rate, args.seconds, RESULTS_DIR / "logs"
            )
            print(f"  {run.accounting.summary()}", flush=True)
            runs.append(run)
            result["faults"].append(asdict(run) | {"lost": run.accounting.lost[:10]})
    result["machine_after"] = machine()
    print()
    print("| fault | inputs | delivered | dead letters | lost | duplicated | longest gap s |"
          " recover s | log lines | client lines held back |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        print(run.row())
    print(f"\nresults: {write_results(result)}  (load average: {os.getloadavg()[0]:.2f})")
    return 0 if all(r.accounting.ok for r in runs) else 1


def with_invalid(pool: list[TrafficItem], world: SyntheticWorld, share: float) -> list[TrafficItem]:
    """The synthetic world's invalid inputs (malformed XML, a bad patient id, an unknown
    receiver: each a dead letter) mixed in, so dead letters flow under the faults too."""
    invalid = [
        i
        for i in scenario_traffic(world, seed=13)
        if i.scenario == "13-dead-letter" and i.expected.dead_letter != "invalid_message_id"
    ]
    if share <= 0 or not invalid:
        return pool
    every = max(2, round(1 / share))
    out: list[TrafficItem] = []
    for n, item in enumerate(pool):
        out.append(item)
        if n % every == every - 1:  # each a message of its own (a fresh id), not a resend
            k = n // every
            out.append(relabel(invalid[k % len(invalid)], 0x7F000000 + k))
    return out


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
