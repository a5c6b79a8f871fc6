"""``samflyt demo``: the platform's main job on the local default.

Loads a synthetic address register, GP list and care relationships into PostgreSQL and
publishes them to the registry topics, starts the pipeline, sends one day of scripted traffic —
every scenario of the seeds, with new message ids on each run — through the ingest topics, and
prints what came out of the delivery topics, checked against the independent oracle.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import datetime, timedelta

from streams import harness
from streams.admin import ensure_topics
from streams.db import check_database
from streams.pipeline import build_pipeline
from streams.principals import WORKER
from streams.registries.feed import publish_registry
from streams.registries.seed import refuse_in_production, seed_registry
from streams.settings import Settings
from streams.synthetic import TrafficItem, build_world, scenario_traffic
from streams.synthetic.world import SyntheticWorld
from streams.text import NORWAY

OVERDUE_IN_DEMO = timedelta(seconds=5)


async def run_demo(settings: Settings, *, seed: int | None = None) -> int:
    refuse_in_production(settings)  # before anything is created
    settings = settings.model_copy(update={"overdue_after": OVERDUE_IN_DEMO})
    print(f"kafka       {settings.kafka(WORKER).describe()}   topics {settings.topic_prefix}*")
    await check_database(settings)  # `make demo` runs `samflyt migrate` first
    created = await ensure_topics(settings)
    print(f"postgres    schema current; topics created now: {len(created)}")
    world = build_world(seed=1, scale="small")
    await seed_registry(settings, world)
    parties, patients = await publish_registry(settings)
    print(
        f"registry    {parties} parties, {patients} patients (synthetic, "
        f"{len(world.municipalities)} municipalities)"
    )
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 10**9)
    items = demo_traffic(world, seed, datetime.now(NORWAY))
    pipeline = build_pipeline(settings, web_port=0)
    start = await harness.snapshot(settings)
    started = time.monotonic()
    await pipeline.app.start()
    try:
        await harness.produce(
            settings,
            [
                (i.expected.msg_id, i.expected.msg_type, i.data, i.expected.sender_her_id)
                for i in items
            ],
        )
        unanswered = sum(1 for i in items if i.expected.overdue)
        out = await harness.collect(
            settings, start, deadline_s=90, until=lambda o: len(o.overdue) >= unanswered
        )
    finally:
        await pipeline.app.stop()
    print(
        f"traffic     {len(items)} messages (traffic seed {seed}) in "
        f"{time.monotonic() - started:.1f} s, including a {OVERDUE_IN_DEMO.seconds} s "
        "overdue deadline\n"
    )
    print(summary(items, out))
    mismatches = check(items, out)
    for line in mismatches:
        print("MISMATCH   ", line)
    print(
        "\nresult      "
        + (
            "every message reached exactly the parties the oracle names"
            if not mismatches
            else f"{len(mismatches)} mismatches"
        )
    )
    return 0 if not mismatches else 1


def demo_traffic(world: SyntheticWorld, seed: int, now: datetime) -> list[TrafficItem]:
    """Every scenario, dated so the last message was written ``now`` (aware): the report's
    times to receipt count from each message's GenDate (Norwegian local time)."""
    ends_at = now.astimezone(NORWAY).replace(tzinfo=None)
    return list(scenario_traffic(world, seed=seed, ends_at=ends_at))


def summary(items: list[TrafficItem], out: harness.Outputs) -> str:
    sources = Counter(harness.raw_topic_for(i.expected.msg_type) for i in items)
    levels = Counter(
        topic.removeprefix("delivery.")
        for topic, d, _ in out.deliveries
        if d["content"][0].endswith("CanonicalEvent")
    )
    receipts = Counter(r["info"]["status"] for r in out.receipts)
    dead = Counter(f"{d['reason']} ({d['reason_code']})" for d in out.dead_letters)
    rows = [
        (
            "messages in",
            sum(sources.values()),
            ", ".join(f"{k.removeprefix('raw.')} {v}" for k, v in sorted(sources.items())),
        )
    ]
    rows.append(
        (
            "delivered",
            sum(levels.values()),
            ", ".join(f"{k} {v}" for k, v in sorted(levels.items())),
        )
    )
    rows.append(
        (
            "dead-lettered",
            sum(dead.values()),
            ", ".join(f"{k} {v}" for k, v in sorted(dead.items())),
        )
    )
    rows.append(
        (
            "receipts sent",
            sum(receipts.values()),
            ", ".join(f"{k} {v}" for k, v in sorted(receipts.items())),
        )
    )
    rows.append(
        (
            "overdue raised",
            len(out.overdue),
            ", ".join(sorted({o["request_msg_type"] for o in out.overdue})),
        )
    )
    refused = Counter(d["reason"] for d in out.decisions if d["outcome"] == "REFUSED")
    rows.append(
        (
            "refusals",
            sum(refused.values()),
            ", ".join(f"{k} {v}" for k, v in sorted(refused.items())),
        )
    )
    return "\n".join(f"{name:<15} {count:>5}   {detail}" for name, count, detail in rows)


def check(items: list[TrafficItem], out: harness.Outputs) -> list[str]:
    """Every accepted input reached exactly its expected recipients, once; every bad input was
    dead-lettered with the expected code."""
    got: dict[str, Counter[tuple[str, str | None]]] = {}
    for _, d, _ in out.deliveries:
        got.setdefault(harness.content_message_id(d), Counter())[
            (d["recipient_her_id"], d["recipient_person"])
        ] += 1
    codes = {d["message_id"]: d["reason_code"] for d in out.dead_letters if d["message_id"]}
    problems = []
    for item in items:
        e = item.expected
        key = e.msg_id.strip().lower()
        if e.duplicate_of:
            continue
        if e.dead_letter:
            if e.apprec_error != "T01" and codes.get(key) != e.apprec_error:
                problems.append(f"{item.scenario}: expected dead letter {e.apprec_error}")
            continue
        want = Counter((r.her_id, r.person) for r in e.recipients)
        if got.get(key, Counter()) != want:
            problems.append(f"{item.scenario} {e.msg_type}: recipients differ")
    return problems
