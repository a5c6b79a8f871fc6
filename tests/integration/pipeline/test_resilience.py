"""Bad luck in production: a message that makes an agent raise, and a broker restart in the
middle of a stream."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from streams import harness
from streams.agents import route_events
from streams.pipeline import build_pipeline
from streams.synthetic import build_world, scenario_traffic, traffic
from tests.integration.pipeline.run import prepare, run_pipeline, settings_for
from tests.integration.services import PrivateKafka


def _expected(items: list[Any]) -> Counter[tuple[str, str, str | None]]:
    return Counter(
        (i.expected.msg_id.strip().lower(), r.her_id, r.person)
        for i in items
        for r in i.expected.recipients
    )


def _delivered(out: harness.Outputs) -> Counter[tuple[str, str, str | None]]:
    seen = {
        (c["message_id"], d["recipient_her_id"], d["recipient_person"])
        for _, d, _ in out.deliveries
        for name, c in [d["content"]]
        if name.endswith("CanonicalEvent")
    }
    return Counter(seen)


def test_an_exception_in_one_message_never_stops_the_agent(
    kafka_bootstrap: str,
    database_url: str,
    topic_prefixes: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world(seed=1, scale="small")
    items = [
        i
        for i in scenario_traffic(world, seed=99)
        if i.scenario.startswith(("5-", "6-", "9-", "10-"))
    ]
    poisoned = items[0].expected.msg_id.strip().lower()
    real = route_events.route_event

    def route_or_explode(record: dict[str, Any], **kwargs: Any) -> Any:
        if record["message_id"] == poisoned:
            raise RuntimeError("a bug that only this message triggers")
        return real(record, **kwargs)

    monkeypatch.setattr(route_events, "route_event", route_or_explode)
    settings = settings_for(kafka_bootstrap, database_url, topic_prefixes)
    rest = items[1:]
    want = sum(_expected(rest).values())

    async def go() -> harness.Outputs:
        await prepare(settings, world)
        out, _ = await run_pipeline(
            settings, items, until=lambda o: sum(_delivered(o).values()) >= want
        )
        return out

    out = asyncio.run(go())
    crashed = [d for d in out.dead_letters if d["reason"] == "PROCESSING_ERROR"]
    assert len(crashed) == 1 and crashed[0]["stage"] == "ROUTE"
    assert crashed[0]["original"]  # the canonical event, kept for replay
    assert _delivered(out) == _expected(rest)  # every later message still flowed


@pytest.mark.slow
def test_a_broker_restart_mid_stream_loses_nothing(
    database_url: str, topic_prefixes: list[str], tmp_path: Path
) -> None:
    broker = PrivateKafka(tmp_path / "state")
    world = build_world(seed=1, scale="small")
    items = [
        i
        for i in traffic(world, seed=77, count=400)
        if not i.expected.msg_type.startswith(("SAMFLYT_KJ", "EPIKRISE", "UTSKRIV"))
    ]
    first, second = items[: len(items) // 2], items[len(items) // 2 :]
    want = _expected(items)

    async def go() -> harness.Outputs:
        broker.run("start")
        settings = settings_for(broker.bootstrap, database_url, topic_prefixes, **broker.security())
        await prepare(settings, world)
        pipeline = build_pipeline(settings, web_port=0)
        start = await harness.snapshot(settings)
        await pipeline.app.start()
        try:
            await harness.produce(
                settings,
                [
                    (i.expected.msg_id, i.expected.msg_type, i.data, i.expected.sender_her_id)
                    for i in first
                ],
            )
            await asyncio.to_thread(broker.run, "stop")
            await asyncio.to_thread(broker.run, "start")
            await harness.produce(
                settings,
                [
                    (i.expected.msg_id, i.expected.msg_type, i.data, i.expected.sender_her_id)
                    for i in second
                ],
            )
            return await harness.collect(
                settings,
                start,
                deadline_s=240,
                quiet_s=3,
                until=lambda o: sum(_delivered(o).values()) >= sum(want.values()),
            )
        finally:
            await pipeline.app.stop()

    try:
        out = asyncio.run(go())
    finally:
        broker.run("stop")
    assert _delivered(out) == want
